package dev.blip4j.models.retrieval;

import dev.blip4j.models.matching.ScoreMatrix;

/**
 * The score matrices of the official {@code train_retrieval.py evaluation()}.
 *
 * @param sims ITC cosine similarities, images by texts ({@code sims_matrix})
 * @param i2t images by texts: for each image its top {@code kTest} texts by ITC get
 *     {@code itm_logit[1] + sim}, the others -100 ({@code score_matrix_i2t})
 * @param t2i texts by images, the same per text ({@code score_matrix_t2i})
 * @param kTest candidates re-ranked per query as asked (each side re-ranks at most all its candidates)
 */
public record EvaluationScores(ScoreMatrix sims, ScoreMatrix i2t, ScoreMatrix t2i, int kTest) {

    /** The score the official evaluation gives pairs outside a query's top {@code k_test}. */
    public static final float NOT_RERANKED = -100f;

    /** For each image, the indices of its top-{@code kTest} texts by ITC, best first (the re-ranked candidates). */
    public int[][] i2tCandidates() {
        int[][] out = new int[sims.rows()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = sims.topK(i, kTest);
        }
        return out;
    }

    /** For each text, the indices of its top-{@code kTest} images by ITC, best first. */
    public int[][] t2iCandidates() {
        ScoreMatrix t = sims.transpose();
        int[][] out = new int[t.rows()][];
        for (int j = 0; j < out.length; j++) {
            out[j] = t.topK(j, kTest);
        }
        return out;
    }
}
