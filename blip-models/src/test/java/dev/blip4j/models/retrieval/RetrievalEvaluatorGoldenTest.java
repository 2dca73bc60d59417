package dev.blip4j.models.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ScoreMatrix;
import dev.blip4j.models.testing.Arrays2;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code train_retrieval.py evaluation()} (k_test = 2, as the golden) and {@code itm_eval} against
 * the official outputs.
 */
class RetrievalEvaluatorGoldenTest {

    @ParameterizedTest
    @EnumSource(Layout.class)
    void scoreMatricesAndCandidatesFromPngs(Layout layout) {
        Golden g = Golden.of("retrieval");
        try (BlipModel model = GoldenModels.load(g, layout)) {
            List<RgbImage> images = List.of(model.readImage(Golden.image(0)), model.readImage(Golden.image(1)),
                    model.readImage(Golden.image(2)));
            assertGolden(g, new RetrievalEvaluator(model).evaluate(images, GoldenModels.captions(g), 2));
            // batching differently (one image per pass, t2i pairs one at a time) changes nothing
            assertGolden(g, new RetrievalEvaluator(model, dev.blip4j.models.matching.FirstToken.ENC, 1)
                    .evaluate(images, GoldenModels.captions(g), 2));
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void scoreMatricesFromPixelTensors(Layout layout) {
        Golden g = Golden.of("retrieval");
        try (BlipModel model = GoldenModels.load(g, layout); NDManager m = model.network().newManager()) {
            assertGolden(g, new RetrievalEvaluator(model).evaluatePixels(Arrays2.floats(m, g.input("pixel_values")),
                    GoldenModels.captions(g), 2));
        }
    }

    /** itm_eval's numbers for the golden matrices, computed by the official function with numpy. */
    @Test
    void recallOfTheGoldenMatrices() {
        Golden g = Golden.of("retrieval");
        ScoreMatrix i2t = new ScoreMatrix(3, 4, g.tensor("score_matrix_i2t").toFloatArray());
        ScoreMatrix t2i = new ScoreMatrix(4, 3, g.tensor("score_matrix_t2i").toFloatArray());
        RecallAtK r = RecallAtK.compute(i2t, t2i, new int[] {0, 1, 2, 0},
                List.of(new int[] {0, 3}, new int[] {1}, new int[] {2}));
        assertRecall(r, 66.66666666666667, 100.0, 100.0, 88.8888888888889, 50.0, 100.0, 100.0, 83.33333333333333,
                86.11111111111111);
    }

    /**
     * 12 images, 30 texts (text t shows image t % 12), scores (31 a + 17 b) mod 97: distinct per row, ranks
     * spread past 10. Expected values from the official itm_eval run with numpy on the same matrices.
     */
    @Test
    void recallOfALargerSet() {
        int images = 12;
        int texts = 30;
        float[] i2t = new float[images * texts];
        float[] t2i = new float[texts * images];
        for (int i = 0; i < images; i++) {
            for (int j = 0; j < texts; j++) {
                i2t[i * texts + j] = (i * 31 + j * 17) % 97;
                t2i[j * images + i] = (j * 31 + i * 17) % 97;
            }
        }
        int[] txt2img = new int[texts];
        for (int t = 0; t < texts; t++) {
            txt2img[t] = t % images;
        }
        List<int[]> img2txt = new java.util.ArrayList<>();
        for (int i = 0; i < images; i++) {
            int image = i;
            img2txt.add(java.util.stream.IntStream.range(0, texts).filter(t -> t % images == image).toArray());
        }
        RecallAtK r = RecallAtK.compute(new ScoreMatrix(images, texts, i2t), new ScoreMatrix(texts, images, t2i),
                txt2img, img2txt);
        assertRecall(r, 41.666666666666664, 41.666666666666664, 66.66666666666667, 50.0, 16.666666666666668,
                46.666666666666664, 86.66666666666667, 50.0, 50.0);
    }

    /** Equal scores: the later index ranks first, as reversing a stable ascending argsort. */
    @Test
    void tiesRankTheLaterIndexFirst() {
        float[] scores = {1f, 5f, 5f, -100f, -100f};
        assertEquals(0, RecallAtK.rank(scores, 2));
        assertEquals(1, RecallAtK.rank(scores, 1));
        assertEquals(2, RecallAtK.rank(scores, 0));
        assertEquals(3, RecallAtK.rank(scores, 4));
        assertEquals(4, RecallAtK.rank(scores, 3));
    }

    @Test
    void badSetsAreRefused() {
        ScoreMatrix i2t = new ScoreMatrix(2, 3, new float[6]);
        ScoreMatrix t2i = new ScoreMatrix(3, 2, new float[6]);
        InputException e = assertThrows(InputException.class,
                () -> RecallAtK.compute(i2t, t2i, new int[] {0, 1, 2}, List.of(new int[] {0}, new int[] {1})));
        assertTrue(e.getMessage().contains("txt2img[2] = 2"), e.getMessage());
        assertThrows(InputException.class, () -> RecallAtK.compute(i2t, i2t, new int[] {0, 1, 1},
                List.of(new int[] {0}, new int[] {1})));
        assertThrows(InputException.class, () -> RecallAtK.compute(i2t, t2i, new int[] {0, 1, 1},
                List.of(new int[] {0}, new int[0])));
        Golden g = Golden.of("retrieval");
        try (BlipModel model = GoldenModels.load(g, Layout.HUGGINGFACE)) {
            RetrievalEvaluator evaluator = new RetrievalEvaluator(model);
            List<RgbImage> one = List.of(model.readImage(Golden.image(0)));
            assertTrue(assertThrows(InputException.class, () -> evaluator.evaluate(one, List.of("a cat"), 0))
                    .getMessage().contains("k_test"));
            assertThrows(InputException.class, () -> evaluator.evaluate(one, List.of(), 2));
        }
    }

    private static void assertGolden(Golden g, EvaluationScores s) {
        g.assertClose("itc_sim", s.sims().values(), 3, 4);
        g.assertClose("score_matrix_i2t", s.i2t().values(), 3, 4);
        g.assertClose("score_matrix_t2i", s.t2i().values(), 4, 3);
        assertArrayEquals(ints(g.results().getAsJsonArray("i2t_topk")), s.i2tCandidates());
        assertArrayEquals(ints(g.results().getAsJsonArray("t2i_topk")), s.t2iCandidates());
        // exactly the pairs outside the top 2 hold -100
        float[] want = g.tensor("score_matrix_i2t").toFloatArray();
        float[] got = s.i2t().values();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i] == -100f, got[i] == EvaluationScores.NOT_RERANKED, "i2t entry " + i);
        }
        // each query's ranking by the final scores is the official one
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(ScoreMatrix.topK(row(want, i, 4), 4), s.i2t().topK(i, 4), "i2t ranking of image " + i);
        }
        float[] wantT2i = g.tensor("score_matrix_t2i").toFloatArray();
        for (int j = 0; j < 4; j++) {
            assertArrayEquals(ScoreMatrix.topK(row(wantT2i, j, 3), 3), s.t2i().topK(j, 3), "t2i ranking of text " + j);
        }
    }

    private static float[] row(float[] m, int r, int cols) {
        return java.util.Arrays.copyOfRange(m, r * cols, (r + 1) * cols);
    }

    private static int[][] ints(JsonArray rows) {
        int[][] out = new int[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = java.util.Arrays.stream(Golden.longs(rows.get(i).getAsJsonArray())).mapToInt(v -> (int) v).toArray();
        }
        return out;
    }

    private static void assertRecall(RecallAtK r, double... want) {
        double[] got = {r.txtR1(), r.txtR5(), r.txtR10(), r.txtRMean(), r.imgR1(), r.imgR5(), r.imgR10(), r.imgRMean(),
            r.rMean()};
        assertArrayEquals(want, got, 1e-9, r.toString());
    }
}
