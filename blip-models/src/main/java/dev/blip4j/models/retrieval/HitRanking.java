package dev.blip4j.models.retrieval;

import dev.blip4j.models.matching.ScoreMatrix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The ordering both searches share: the top {@code k_test} ITC candidates that could be scored by
 * ITM, by {@code logit + itc} (float32 sum, as the official evaluation), then every other candidate
 * in ITC order.
 */
final class HitRanking {

    /** A candidate's ITM outcome: logit and probability, or why there is none. */
    record Itm(float logit, float probability, String error) {}

    private HitRanking() {}

    /**
     * @param candidates gallery indices to consider, best ITC first
     * @param itc each candidate's ITC similarity
     * @param itm per candidate position, its ITM outcome, or null when not re-ranked
     * @param path / text how a gallery index is named in a hit
     */
    static List<SearchHit> rank(int[] candidates, float[] itc, Itm[] itm, int k, IntFunction<String> path,
            IntFunction<String> text) {
        List<Integer> scored = new ArrayList<>();
        List<Integer> rest = new ArrayList<>();
        for (int c = 0; c < candidates.length; c++) {
            (itm[c] != null && itm[c].error() == null ? scored : rest).add(c);
        }
        scored.sort(Comparator.comparingDouble((Integer c) -> -(double) score(itc, itm, c))
                .thenComparingInt(c -> c));
        List<Integer> order = new ArrayList<>(scored);
        order.addAll(rest);
        List<SearchHit> hits = new ArrayList<>();
        for (int r = 0; r < Math.min(k, order.size()); r++) {
            int c = order.get(r);
            int index = candidates[c];
            Itm m = itm[c];
            boolean ok = m != null && m.error() == null;
            hits.add(new SearchHit(r + 1, path.apply(index), text.apply(index), index,
                    ok ? score(itc, itm, c) : itc[c], itc[c],
                    ok ? (double) m.probability() : null, ok ? (double) m.logit() : null, m == null ? null : m.error()));
        }
        return hits;
    }

    private static float score(float[] itc, Itm[] itm, int c) {
        return itm[c].logit() + itc[c];
    }

    /** The {@code n} best by ITC, best first. */
    static int[] candidates(float[] sims, int n) {
        return ScoreMatrix.topK(sims, n);
    }

    /** {@code sims} of the {@code candidates}, in their order. */
    static float[] itc(float[] sims, int[] candidates) {
        float[] out = new float[candidates.length];
        for (int c = 0; c < candidates.length; c++) {
            out[c] = sims[candidates[c]];
        }
        return out;
    }
}
