package dev.blip4j.models.features;

import static dev.blip4j.models.testing.GoldenModels.images;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Arrays2;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import dev.blip4j.models.text.Padding;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code BLIP_Base.forward(mode='image'|'text'|'multimodal')} against {@code feature_extractor/}:
 * one text at a time (unpadded) and the padded batch, from PNGs and pixel tensors, both layouts.
 */
class FeatureExtractorGoldenTest {

    @ParameterizedTest
    @EnumSource(Layout.class)
    void imageMode(Layout layout) {
        Golden g = Golden.of("feature_extractor");
        try (BlipModel model = GoldenModels.load(g, layout); NDManager m = model.network().newManager()) {
            FeatureExtractor fx = new FeatureExtractor(model, FeatureOptions.defaults().withBatchSize(2));
            for (List<ImageFeatures> got : List.of(fx.images(images(model)),
                    fx.imagesFromPixels(Arrays2.floats(m, g.input("pixel_values"))))) {
                assertEquals(3, got.size());
                float[] all = new float[3 * 17 * 48];
                for (int i = 0; i < 3; i++) {
                    ImageFeatures f = got.get(i);
                    assertEquals(17, f.tokens());
                    assertEquals(48, f.width());
                    assertNull(f.embedding(), "BLIP_Base has no vision_proj");
                    assertNull(f.tokenEmbeddings());
                    System.arraycopy(f.states(), 0, all, i * 17 * 48, 17 * 48);
                }
                g.assertClose("image_embeds", all, 3, 17, 48);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void textModeOneTextAtATimeAndPadded(Layout layout) {
        Golden g = Golden.of("feature_extractor");
        List<String> captions = GoldenModels.captions(g);
        try (BlipModel model = GoldenModels.load(g, layout)) {
            List<TextFeatures> got = new FeatureExtractor(model).texts(captions);
            for (int j = 0; j < 4; j++) {
                TextFeatures f = got.get(j);
                long[] ids = Golden.longs(g.json().getAsJsonObject("token_ids_unpadded").getAsJsonArray(captions.get(j)));
                assertArrayEquals(ids, f.ids());
                assertEquals(ids.length, f.length());
                g.assertClose("text_embeds." + j, f.states(), ids.length, 32);
                assertNull(f.embedding());
            }
            // one text alone gives the same as within the batch
            g.assertClose("text_embeds.2", new FeatureExtractor(model).text(captions.get(2)).states(), 19, 32);

            List<TextFeatures> padded = new FeatureExtractor(model, FeatureOptions.defaults()
                    .withPadding(Padding.LONGEST).withBatchSize(3)).texts(captions);
            float[] all = new float[4 * 19 * 32];
            long[] ids = new long[4 * 19];
            for (int j = 0; j < 4; j++) {
                System.arraycopy(padded.get(j).states(), 0, all, j * 19 * 32, 19 * 32);
                System.arraycopy(padded.get(j).ids(), 0, ids, j * 19, 19);
            }
            g.assertIds("padded.input_ids", ids);
            g.assertClose("padded.text_embeds", all, 4, 19, 32);
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void multimodalModeWithEnc(Layout layout) {
        Golden g = Golden.of("feature_extractor");
        List<String> captions = GoldenModels.captions(g);
        try (BlipModel model = GoldenModels.load(g, layout); NDManager m = model.network().newManager()) {
            FeatureExtractor fx = new FeatureExtractor(model, FeatureOptions.defaults().withBatchSize(2));
            for (List<List<MultimodalFeatures>> got : List.of(fx.multimodal(images(model), captions),
                    fx.multimodalFromPixels(Arrays2.floats(m, g.input("pixel_values")), captions))) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 4; j++) {
                        MultimodalFeatures f = got.get(i).get(j);
                        assertEquals(303L, f.ids()[0], "[ENC] first");
                        g.assertClose("multimodal_embeds." + i + "." + j, f.states(), f.length(), 32);
                    }
                }
            }
            List<List<MultimodalFeatures>> padded = new FeatureExtractor(model,
                    FeatureOptions.defaults().withPadding(Padding.LONGEST)).multimodal(images(model), captions);
            float[] all = new float[3 * 4 * 19 * 32];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 4; j++) {
                    System.arraycopy(padded.get(i).get(j).states(), 0, all, (i * 4 + j) * 19 * 32, 19 * 32);
                }
            }
            g.assertClose("padded.multimodal_embeds", all, 3, 4, 19, 32);
        }
    }

    /**
     * With projections (an ITM checkpoint): the ITC features are the golden {@code image_feat} /
     * {@code text_feat}, every token's projection is unit length and the first is the ITC feature;
     * padded to 35 the text states are the golden {@code text_embeds} (pads included).
     */
    @ParameterizedTest
    @EnumSource(Layout.class)
    void projectionsOfAnItmCheckpoint(Layout layout) {
        Golden g = Golden.of("itm");
        List<String> captions = GoldenModels.captions(g);
        try (BlipModel model = GoldenModels.load(g, layout)) {
            FeatureExtractor fx = new FeatureExtractor(model);
            List<ImageFeatures> images = fx.images(images(model));
            float[] imageFeat = new float[3 * 16];
            for (int i = 0; i < 3; i++) {
                ImageFeatures f = images.get(i);
                assertNotNull(f.embedding());
                assertEquals(16, f.embedDim());
                System.arraycopy(f.embedding(), 0, imageFeat, i * 16, 16);
                assertProjections(f.tokenEmbeddings(), f.embedding(), 17, 16);
            }
            g.assertClose("image_feat", imageFeat, 3, 16);

            List<TextFeatures> texts = new FeatureExtractor(model, new FeatureOptions(Padding.MAX_LENGTH, 35, 8))
                    .texts(captions);
            float[] textFeat = new float[4 * 16];
            float[] states = new float[4 * 35 * 32];
            for (int j = 0; j < 4; j++) {
                System.arraycopy(texts.get(j).embedding(), 0, textFeat, j * 16, 16);
                System.arraycopy(texts.get(j).states(), 0, states, j * 35 * 32, 35 * 32);
                assertProjections(texts.get(j).tokenEmbeddings(), texts.get(j).embedding(), 35, 16);
            }
            g.assertClose("text_feat", textFeat, 4, 16);
            g.assertClose("text_embeds", states, 4, 35, 32);
        }
    }

    @Test
    void missingPartsAreNamed() {
        try (BlipModel caption = GoldenModels.load(Golden.of("caption"), Layout.HUGGINGFACE)) {
            FeatureExtractor fx = new FeatureExtractor(caption);
            assertEquals(17, fx.image(Golden.image(0)).tokens(), "image features need only the ViT");
            ModelException e = assertThrows(ModelException.class, () -> fx.texts(List.of("a cat")));
            assertTrue(e.getMessage().contains("text encoder"), e.getMessage());
            RgbImage image = caption.readImage(Golden.image(0));
            e = assertThrows(ModelException.class, () -> fx.multimodal(image, List.of("a cat")));
            assertTrue(e.getMessage().contains("text encoder"), e.getMessage());
        }
    }

    private static void assertProjections(float[] tokens, float[] first, int rows, int dim) {
        assertEquals(rows * dim, tokens.length);
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                norm += tokens[r * dim + d] * tokens[r * dim + d];
            }
            assertEquals(1.0, Math.sqrt(norm), 1e-5, "row " + r + " is normalised");
        }
        for (int d = 0; d < dim; d++) {
            assertEquals(first[d], tokens[d], 1e-6, "row 0 is the ITC feature");
        }
    }
}
