package dev.blip4j.models.matching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Grad-CAM against LAVIS's {@code compute_gradcam} run on the official ITM model ({@code gradcam/},
 * on the {@code itm/} weights): every image and caption, per-token maps and the words map at the
 * {@code gradcam} tolerance (atol 1e-6, rtol 1e-4), the ITM probability with {@code [ENC]} first and
 * the hottest cell of each words map exactly, from both checkpoint layouts.
 */
class ItmGradCamGoldenTest {

    @ParameterizedTest
    @EnumSource(Layout.class)
    void everyPairMatchesLavis(Layout layout) {
        Golden g = Golden.of("gradcam");
        int layer = g.results().get("block_num").getAsInt();
        List<String> captions = GoldenModels.captions(g);
        try (BlipModel model = GoldenModels.load(Golden.of("itm"), layout)) {
            ItmGradCam gradCam = new ItmGradCam(model, MatchOptions.defaults().withFirstToken(FirstToken.ENC), layer);
            double worstToken = 0;
            double worstWords = 0;
            for (int i = 0; i < 3; i++) {
                RgbImage image = model.readImage(Golden.image(i));
                List<MatchGradCam> got = gradCam.explain(image, captions);
                for (int j = 0; j < 4; j++) {
                    MatchGradCam m = got.get(j);
                    GradCam cam = m.gradCam();
                    String pair = i + "." + j;
                    int tokens = (int) g.tensor("gradcam_tokens." + pair).shape()[0];
                    assertEquals(tokens, cam.tokens().size(), pair);
                    assertEquals("[ENC]", cam.tokens().get(0));
                    assertEquals("[SEP]", cam.tokens().get(tokens - 1));
                    assertEquals(layer, cam.layer());
                    assertEquals(4, cam.grid());
                    float[] all = new float[tokens * 16];
                    for (int t = 0; t < tokens; t++) {
                        System.arraycopy(cam.tokenMap(t), 0, all, t * 16, 16);
                    }
                    worstToken = Math.max(worstToken, g.assertClose("gradcam_tokens." + pair, all, tokens, 4, 4));
                    worstWords = Math.max(worstWords, g.assertClose("gradcam_words." + pair, cam.wordsMap(), 4, 4));
                    double itm = g.results().getAsJsonArray("itm_probs_enc").get(i).getAsJsonArray().get(j).getAsDouble();
                    assertEquals(itm, m.itm(), 1e-5, "itm " + pair);
                    int hottest = g.results().getAsJsonArray("argmax_cell").get(i).getAsJsonArray().get(j).getAsInt();
                    assertEquals(hottest, argmax(cam.wordsMap()), "hottest cell " + pair);
                }
            }
            System.out.printf("gradcam %s: max abs error token maps %.3g, words maps %.3g%n", layout, worstToken,
                    worstWords);
        }
    }

    /**
     * A float16 model explains too: inside the gradient pass Blip keeps results in float16 (DJL's
     * casts would cut the gradient), and the maps come out within float16's precision of LAVIS's.
     */
    @org.junit.jupiter.api.Test
    void float16ModelsExplainToo() {
        Golden g = Golden.of("gradcam");
        try (BlipModel model = BlipModel.builder(Golden.of("itm").hf()).dtype(ai.djl.ndarray.types.DataType.FLOAT16)
                .load()) {
            MatchGradCam m = new ItmGradCam(model, MatchOptions.defaults().withFirstToken(FirstToken.ENC), 0)
                    .explain(Golden.image(0), GoldenModels.captions(g).get(1));
            float[] want = g.tensor("gradcam_words.0.1").toFloatArray();
            float[] got = m.gradCam().wordsMap();
            double worst = 0;
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - want[i]));
                assertEquals(want[i], got[i], 2e-3 + 2e-2 * Math.abs(want[i]), "cell " + i);
            }
            System.out.printf("gradcam float16: max abs error of the words map %.3g%n", worst);
        }
    }

    /** The words of "four bears walking on the red street." as the vocabulary spells them, and the defaults. */
    @ParameterizedTest
    @EnumSource(Layout.class)
    void tokensLayerAndRefusals(Layout layout) {
        try (BlipModel model = GoldenModels.load(Golden.of("itm"), layout)) {
            assertEquals(0, ItmGradCam.defaultLayer(model), "the middle of 2 layers is the last: the first instead");
            ItmGradCam cam = new ItmGradCam(model);
            assertEquals(0, cam.layer());
            MatchGradCam m = cam.explain(Golden.image(1), "four bears walking");
            assertEquals(List.of("[CLS]", "four", "bear", "##s", "walking", "[SEP]"), m.gradCam().tokens());
            assertArrayEquals(new int[] {1, 2, 3, 4}, m.gradCam().words());
            assertTrue(max(m.gradCam().wordsMap()) > 0, "words reach the match logit from layer 0");
            // in the last layer no word's cross-attention reaches the ITM head, which reads the first token only
            MatchGradCam last = new ItmGradCam(model, MatchOptions.defaults(), 1).explain(Golden.image(1),
                    "four bears walking");
            assertEquals(0f, max(last.gradCam().wordsMap()));
            assertTrue(max(last.gradCam().tokenMap(0)) > 0, "the first token's own row has a gradient");
            // the same probability the matcher reports for the text alone
            assertEquals(new ImageTextMatcher(model).match(Golden.image(1), "four bears walking").itm(), m.itm(), 1e-5);
            InputException e = assertThrows(InputException.class, () -> new ItmGradCam(model, MatchOptions.defaults(), 2));
            assertTrue(e.getMessage().contains("layers 0 to 1"), e.getMessage());
        }
        try (BlipModel caption = GoldenModels.load(Golden.of("caption"), layout)) {
            ModelException e = assertThrows(ModelException.class, () -> new ItmGradCam(caption));
            assertTrue(e.getMessage().contains("Grad-CAM of image-text matching needs"), e.getMessage());
        }
    }

    private static float max(float[] values) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
