package dev.blip4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Application;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.testing.Golden;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * DJL loading refuses what it cannot honour (type pairs without a task, arguments no task reads,
 * sampling arguments without sampling) while the model loads, not at the first predict; sampling
 * arguments work; {@code optModelPath} of a BLIP folder loads; the zoo lists the BLIP models.
 */
class DjlStrictnessTest {

    static String url(String query) {
        return BlipZoo.url(Golden.of("caption").hf()) + query;
    }

    static String refusal(Criteria<?, ?> criteria) {
        Exception e = assertThrows(Exception.class, criteria::loadModel);
        return DjlMatchingTest.rootMessage(e);
    }

    @Test
    void aTypePairWithoutATaskIsRefusedWhileLoading() {
        String m = refusal(Criteria.builder().setTypes(Image.class, Classifications.class).optModelUrls(url("")).build());
        assertTrue(m.contains("blip4j has no task taking ai.djl.modality.cv.Image and giving ai.djl.modality.Classifications;"
                + " its (input, output) types are (Image, String), (Image, Caption), (Image, Caption[])"), m);
    }

    @Test
    void unknownArgumentsAreRefusedWithTheOnesThatExist() {
        String m = refusal(Criteria.builder().setTypes(Image.class, String.class).optModelUrls(url("?beam=2")).build());
        assertTrue(m.contains("unknown argument beam for (Image, String); blip4j reads beams, cache_dir, image_size,"
                + " max_length, min_length, num_captions, offline, prompt, repetition_penalty, sample, seed, temperature,"
                + " tokenizer, top_k, top_p"), m);
        m = refusal(Criteria.builder().setTypes(Image.class, String.class).optModelUrls(url(""))
                .optArgument("first_token", "enc").build());
        assertTrue(m.contains("unknown argument first_token for (Image, String)"), m);
    }

    @Test
    void samplingArgumentsWithoutSamplingAreRefused() {
        String m = refusal(Criteria.builder().setTypes(Image.class, String.class).optModelUrls(url("?top_p=0.9")).build());
        assertTrue(m.contains("argument top_p only applies to sampling: add sample=true"), m);
        m = refusal(Criteria.builder().setTypes(Image.class, Caption[].class)
                .optModelUrls(url("?beams=1&num_captions=2")).build());
        assertTrue(m.contains("greedy search finds one sequence, not 2"), m);
        m = refusal(Criteria.builder().setTypes(Image.class, String.class).optModelUrls(url("?num_captions=2")).build());
        assertTrue(m.contains("num_captions=2 gives several captions per image, but (Image, String) returns one: load it"
                + " with the (Image, Caption[]) types"), m);
    }

    @Test
    void samplingArgumentsSampleAsTheCaptioner() throws Exception {
        List<Caption> expected;
        try (BlipModel model = BlipModel.load(Golden.of("caption").hf())) {
            expected = new Captioner(model, CaptionOptions.defaults().withGeneration(GenerationConfig.defaults()
                    .withNucleus(0.8f).withTopK(20).withTemperature(0.7f).withNumReturnSequences(3).withSeed(7)))
                    .caption(Golden.image(1));
        }
        Criteria<Image, Caption[]> criteria = Criteria.builder().setTypes(Image.class, Caption[].class)
                .optModelUrls(url("?sample=true&top_p=0.8&top_k=20&temperature=0.7&seed=7&num_captions=3")).build();
        try (ZooModel<Image, Caption[]> model = criteria.loadModel();
                Predictor<Image, Caption[]> predictor = model.newPredictor()) {
            Caption[] got = predictor.predict(ImageFactory.getInstance().fromFile(Golden.image(1)));
            assertEquals(3, got.length);
            for (int i = 0; i < 3; i++) {
                assertEquals(expected.get(i).text(), got[i].text());
                assertArrayEquals(expected.get(i).tokenIds(), got[i].tokenIds());
            }
        }
    }

    @Test
    void optModelPathOfABlipFolderLoadsWithOrWithoutTheFactory() throws Exception {
        String expected = Golden.of("caption").results().getAsJsonObject("beam").getAsJsonArray("captions").get(0)
                .getAsString();
        Image image = ImageFactory.getInstance().fromFile(Golden.image(0));
        for (Criteria<Image, String> criteria : List.of(
                Criteria.builder().setTypes(Image.class, String.class).optModelPath(Golden.of("caption").hf())
                        .optTranslatorFactory(new BlipTranslatorFactory()).build(),
                Criteria.builder().setTypes(Image.class, String.class).optModelPath(Golden.of("caption").hf()).build())) {
            try (ZooModel<Image, String> model = criteria.loadModel();
                    Predictor<Image, String> predictor = model.newPredictor()) {
                assertEquals(expected, predictor.predict(image));
            }
        }
    }

    @Test
    void theZooListsTheBlipModelsAndLoadsOnlyWhenNamed() {
        Map<Application, List<MRL>> models = ModelZoo.listModels();
        List<String> ours = models.values().stream().flatMap(List::stream)
                .filter(m -> BlipModelZoo.GROUP_ID.equals(m.getGroupId())).map(MRL::getArtifactId).sorted().toList();
        assertEquals(List.of("blip-image-captioning-base", "blip-image-captioning-large", "blip-itm-base-coco",
                "blip-itm-base-flickr", "blip-itm-large-coco", "blip-itm-large-flickr", "blip-vqa-base",
                "blip-vqa-capfilt-large"), ours);
        assertTrue(models.get(BlipModelZoo.VQA).stream().anyMatch(m -> m.getArtifactId().equals("blip-vqa-base")));
        assertTrue(ModelZoo.hasModelZoo(BlipModelZoo.GROUP_ID));
        // A Criteria naming neither group nor artifact never reaches them (that would download from the hub).
        Criteria<Image, String> unnamed = Criteria.builder().setTypes(Image.class, String.class)
                .optApplication(BlipModelZoo.CAPTIONING).build();
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class,
                () -> new BlipModelZoo().getModelLoader("blip-image-captioning-base").loadModel(unnamed));
        assertTrue(e.getMessage().contains("blip4j's zoo models load when the Criteria names group dev.blip4j"),
                e.getMessage());
    }
}
