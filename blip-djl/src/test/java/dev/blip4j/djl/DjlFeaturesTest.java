package dev.blip4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ITC embeddings the DJL way: {@code (Image, float[])} and {@code (String, float[])} predictors give
 * what {@link FeatureExtractor} gives, the golden {@code image_feat} and {@code text_feat}, and their
 * dot products are the golden ITC similarities. A checkpoint without projections is refused.
 */
class DjlFeaturesTest {

    @ParameterizedTest
    @ValueSource(strings = {"itm", "retrieval"})
    void embeddingsAsTheExtractorAndTheGolden(String kind) throws Exception {
        Golden g = Golden.of(kind);
        List<String> captions = GoldenModels.captions(g);
        List<ImageFeatures> wantImages;
        List<TextFeatures> wantTexts;
        try (BlipModel model = BlipModel.load(g.hf())) {
            FeatureExtractor fx = new FeatureExtractor(model);
            wantImages = fx.images(List.of(model.readImage(Golden.image(0)), model.readImage(Golden.image(1)),
                    model.readImage(Golden.image(2))));
            wantTexts = fx.texts(captions);
        }
        List<Image> images = DjlCaptionTest.images();
        String url = BlipZoo.url(g.hf());
        float[] imageFeat = new float[3 * 16];
        float[] textFeat = new float[4 * 16];
        try (ZooModel<Image, float[]> model = Criteria.builder().setTypes(Image.class, float[].class)
                        .optModelUrls(url).build().loadModel();
                Predictor<Image, float[]> predictor = model.newPredictor()) {
            List<float[]> batch = predictor.batchPredict(images);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(wantImages.get(i).embedding(), batch.get(i), 1e-6f, "image " + i);
                assertArrayEquals(wantImages.get(i).embedding(), predictor.predict(images.get(i)), 1e-6f);
                System.arraycopy(batch.get(i), 0, imageFeat, i * 16, 16);
            }
        }
        try (ZooModel<String, float[]> model = Criteria.builder().setTypes(String.class, float[].class)
                        .optModelUrls(url).build().loadModel();
                Predictor<String, float[]> predictor = model.newPredictor()) {
            List<float[]> batch = predictor.batchPredict(captions);
            for (int j = 0; j < 4; j++) {
                assertArrayEquals(wantTexts.get(j).embedding(), batch.get(j), 1e-6f, "text " + j);
                assertArrayEquals(wantTexts.get(j).embedding(), predictor.predict(captions.get(j)), 1e-6f);
                System.arraycopy(batch.get(j), 0, textFeat, j * 16, 16);
            }
        }
        g.assertClose("image_feat", imageFeat, 3, 16);
        g.assertClose("text_feat", textFeat, 4, 16);
        float[] itc = new float[12];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                for (int d = 0; d < 16; d++) {
                    itc[i * 4 + j] += imageFeat[i * 16 + d] * textFeat[j * 16 + d];
                }
            }
        }
        g.assertClose("itc_sim", itc, 3, 4);
    }

    @Test
    void aCheckpointWithoutProjectionsIsRefusedByName() {
        Criteria<Image, float[]> criteria = Criteria.builder().setTypes(Image.class, float[].class)
                .optModelUrls(BlipZoo.url(Golden.of("feature_extractor").hf())).build();
        Exception e = assertThrows(Exception.class, criteria::loadModel);
        String message = DjlMatchingTest.rootMessage(e);
        assertTrue(message.contains("ITC image embeddings needs the ITC projections vision_proj and text_proj"), message);
        assertTrue(message.contains("ModelException"), message);
    }
}
