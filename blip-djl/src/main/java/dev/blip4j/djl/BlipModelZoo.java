package dev.blip4j.djl;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.BaseModelLoader;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * The Salesforce BLIP models in DJL's model zoo (group {@code dev.blip4j}, registered through
 * {@link BlipZooProvider}), so that {@code ModelZoo.listModels()} shows them and
 * {@code Criteria.builder().optGroupId("dev.blip4j").optArtifactId("blip-image-captioning-base")}
 * loads one (through the HuggingFace cache, downloading it when missing, as a {@code blip4j:} URL).
 *
 * <p>A zoo model loads only when the Criteria names this zoo's group or the model's artifact id:
 * a Criteria that names neither (DJL then tries every zoo) never starts a download of a BLIP model.
 */
public final class BlipModelZoo extends ModelZoo {

    public static final String GROUP_ID = BlipRepository.GROUP_ID;

    /** Captioning. */
    public static final Application CAPTIONING = Application.of("cv/image_captioning");
    /** ITM/ITC matching and retrieval. */
    public static final Application MATCHING = Application.of("multimodal/image_text_matching");
    /** Visual question answering. */
    public static final Application VQA = Application.of("multimodal/visual_question_answering");

    public BlipModelZoo() {
        add("Salesforce/blip-image-captioning-base", CAPTIONING);
        add("Salesforce/blip-image-captioning-large", CAPTIONING);
        add("Salesforce/blip-itm-base-coco", MATCHING);
        add("Salesforce/blip-itm-large-coco", MATCHING);
        add("Salesforce/blip-itm-base-flickr", MATCHING);
        add("Salesforce/blip-itm-large-flickr", MATCHING);
        add("Salesforce/blip-vqa-base", VQA);
        add("Salesforce/blip-vqa-capfilt-large", VQA);
    }

    private void add(String modelId, Application application) {
        BlipRepository repository = new BlipRepository(modelId, URI.create(BlipZoo.url(modelId)));
        String artifactId = modelId.substring(modelId.indexOf('/') + 1);
        addModel(new Loader(MRL.model(repository, application, GROUP_ID, artifactId, null, artifactId)));
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }

    /** DJL's loader, which a Criteria must name (group or artifact) before it resolves anything. */
    private static final class Loader extends BaseModelLoader {

        Loader(MRL mrl) {
            super(mrl);
        }

        @Override
        public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
                throws IOException, ModelNotFoundException, MalformedModelException {
            if (!GROUP_ID.equals(criteria.getGroupId()) && !getArtifactId().equals(criteria.getArtifactId())) {
                throw new ModelNotFoundException("blip4j's zoo models load when the Criteria names group "
                        + GROUP_ID + " or their artifact id");
            }
            return super.loadModel(criteria);
        }
    }
}
