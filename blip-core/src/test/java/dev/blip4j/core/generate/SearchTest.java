package dev.blip4j.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.blip4j.core.InputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Searches over a language model given as a table: the logits depend only on the last token, so
 * every expected result can be worked out by hand.
 */
class SearchTest {

    private static final long EOS = 1;
    private static final long PAD = 0;

    /** Logits per last token over a 5-token vocabulary {PAD, EOS, a=2, b=3, c=4}. */
    private static final class TableModel implements NextTokenModel {
        final float[][] table;
        long[] last;
        final List<int[]> reorders = new ArrayList<>();
        int calls;

        TableModel(float[][] table) {
            this.table = table;
        }

        @Override
        public float[][] next(long[][] tokens) {
            calls++;
            if (last == null) {
                last = new long[tokens.length];
            }
            float[][] out = new float[tokens.length][];
            for (int r = 0; r < tokens.length; r++) {
                last[r] = tokens[r][tokens[r].length - 1];
                out[r] = table[(int) last[r]].clone();
            }
            return out;
        }

        @Override
        public void reorder(int[] from) {
            reorders.add(from.clone());
        }
    }

    // after a: b is best; after b: c; after c: EOS. After the start token 2 (= a) too.
    private static final float[][] CHAIN = {
        {0, 0, 0, 0, 0},
        {0, 0, 0, 0, 0},
        {-5, -1, -3, 2, 0},
        {-5, -2, -3, -1, 3},
        {-5, 4, -3, -1, 0},
    };

    @Test
    void greedyFollowsArgmaxAndStopsAtEos() {
        TableModel model = new TableModel(CHAIN);
        GenerationConfig config = GenerationConfig.defaults().withGreedy().withLengths(0, 10);
        List<List<Sequence>> out = Generator.generate(model, new long[] {2}, 2, config, EOS, PAD, null, null);
        assertEquals(2, out.size());
        assertArrayEquals(new long[] {2, 3, 4, 1}, out.get(0).get(0).ids());
        assertArrayEquals(new long[] {2, 3, 4, 1}, out.get(1).get(0).ids());
        assertEquals(3, model.calls, "prompt, then one call per token until every row ended");
    }

    @Test
    void minLengthForbidsTheEndTokenUntilReached() {
        TableModel model = new TableModel(CHAIN);
        // Without the end token, c is followed by its best other token: c (0) over b (-1).
        GenerationConfig config = GenerationConfig.defaults().withGreedy().withLengths(6, 10);
        long[] ids = Generator.generate(model, new long[] {2}, 1, config, EOS, PAD, null, null).get(0).get(0).ids();
        assertArrayEquals(new long[] {2, 3, 4, 4, 4, 4, 1}, ids);
    }

    @Test
    void maxLengthCountsThePrompt() {
        float[][] loop = {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, -9, 5, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};
        GenerationConfig config = GenerationConfig.defaults().withGreedy().withLengths(0, 4);
        long[] ids = Generator.generate(new TableModel(loop), new long[] {2, 2}, 1, config, EOS, PAD, null, null)
                .get(0).get(0).ids();
        assertArrayEquals(new long[] {2, 2, 2, 2}, ids);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeScoresOnce() {
        float[] scores = {1f, -2f, 4f, 0.5f};
        LogitsProcessor.repetitionPenalty(2f).process(new long[] {0, 1, 1, 2}, scores);
        assertArrayEquals(new float[] {0.5f, -4f, 2f, 0.5f}, scores);
    }

    @Test
    void topKKeepsTiesWithTheKth() {
        float[] scores = {1f, 3f, 2f, 2f, 0f};
        LogitsProcessor.topK(2).process(new long[0], scores);
        float n = Float.NEGATIVE_INFINITY;
        assertArrayEquals(new float[] {n, 3f, 2f, 2f, n}, scores);
    }

    @Test
    void topPKeepsTheTokenThatCrossesP() {
        // probabilities 0.5, 0.3, 0.2 (logits are their logs)
        float[] scores = {(float) Math.log(0.2), (float) Math.log(0.5), (float) Math.log(0.3)};
        LogitsProcessor.topP(0.6f).process(new long[0], scores);
        assertEquals(Float.NEGATIVE_INFINITY, scores[0]);
        assertNotEquals(Float.NEGATIVE_INFINITY, scores[2]);
        float[] again = {(float) Math.log(0.2), (float) Math.log(0.5), (float) Math.log(0.3)};
        LogitsProcessor.topP(0.4f).process(new long[0], again);
        assertEquals(Float.NEGATIVE_INFINITY, again[0]);
        assertEquals(Float.NEGATIVE_INFINITY, again[2]);
    }

    @Test
    void beamSearchPrefersTheBetterLongerHypothesis() {
        // From the start token a: EOS now scores log p = -0.7; b then EOS scores better per token.
        float[][] table = {
            {0, 0, 0, 0, 0},
            {0, 0, 0, 0, 0},
            {-9, 0.5f, -9, 0.8f, -9},
            {-9, 5f, -9, -9, -9},
            {0, 0, 0, 0, 0},
        };
        GenerationConfig config = GenerationConfig.defaults().withNumBeams(2).withLengths(0, 6);
        Sequence best = Generator.generate(new TableModel(table), new long[] {2}, 1, config, EOS, PAD, null, null)
                .get(0).get(0);
        assertArrayEquals(new long[] {2, 3, 1}, best.ids());
        // score = (log p(b|a) + log p(EOS|b)) / 2, the length counting the prompt and not the EOS
        double pb = logSoftmax(table[2])[3];
        double pe = logSoftmax(table[3])[1];
        assertEquals((pb + pe) / 2, best.score(), 1e-6);
    }

    @Test
    void beamSearchReturnsSeveralHypothesesBestFirst() {
        GenerationConfig config = GenerationConfig.defaults().withNumBeams(3).withLengths(0, 8)
                .withNumReturnSequences(3);
        List<Sequence> three = Generator.generate(new TableModel(CHAIN), new long[] {2}, 1, config, EOS, PAD, null,
                null).get(0);
        assertEquals(3, three.size());
        assertEquals(true, three.get(0).score() >= three.get(1).score() && three.get(1).score() >= three.get(2).score());
    }

    @Test
    void samplingIsReproducibleAndIndependentOfBatching() {
        float[][] flat = {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {-9, 0, 1, 1, 1}, {-9, 0, 1, 1, 1}, {-9, 0, 1, 1, 1}};
        GenerationConfig config = GenerationConfig.defaults().withGreedy().withSample(true).withLengths(0, 12)
                .withTopK(0).withNumReturnSequences(2).withSeed(7);
        long[] seeds = {Seeds.mix(7, "x"), Seeds.mix(7, "y")};
        List<List<Sequence>> both = Generator.generate(new TableModel(flat), new long[] {2}, 2, config, EOS, PAD,
                seeds, null);
        List<List<Sequence>> second = Generator.generate(new TableModel(flat), new long[] {2}, 1, config, EOS, PAD,
                new long[] {seeds[1]}, null);
        assertArrayEquals(both.get(1).get(0).ids(), second.get(0).get(0).ids());
        assertArrayEquals(both.get(1).get(1).ids(), second.get(0).get(1).ids());
        List<List<Sequence>> again = Generator.generate(new TableModel(flat), new long[] {2}, 2, config, EOS, PAD,
                seeds, null);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                assertArrayEquals(both.get(i).get(j).ids(), again.get(i).get(j).ids());
            }
        }
        assertEquals(false, Arrays.equals(both.get(0).get(0).ids(), both.get(0).get(1).ids())
                && Arrays.equals(both.get(0).get(0).ids(), both.get(1).get(0).ids()),
                "independent draws should not all coincide");
    }

    @Test
    void promptAtMaxLengthIsRefused() {
        GenerationConfig config = GenerationConfig.defaults().withGreedy().withLengths(0, 3);
        InputException e = assertThrows(InputException.class, () -> Generator.generate(new TableModel(CHAIN),
                new long[] {2, 3, 4}, 1, config, EOS, PAD, null, null));
        assertEquals(true, e.getMessage().contains("3-token prompt"), e.getMessage());
    }

    @Test
    void configurationErrorsSayWhatToPass() {
        InputException e = assertThrows(InputException.class,
                () -> GenerationConfig.defaults().withNumBeams(2).withSample(true));
        assertEquals(true, e.getMessage().contains("use 1 beam"), e.getMessage());
        assertThrows(InputException.class, () -> GenerationConfig.defaults().withTopP(0f));
        assertThrows(InputException.class, () -> GenerationConfig.defaults().withLengths(30, 20));
    }

    private static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - max - Math.log(sum);
        }
        return out;
    }
}
