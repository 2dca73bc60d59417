package dev.blip4j.models.retrieval;

import dev.blip4j.core.InputException;
import dev.blip4j.models.matching.ScoreMatrix;
import java.util.List;

/**
 * Recall at 1, 5 and 10 of a labelled retrieval set, as the official {@code train_retrieval.py
 * itm_eval}: for image→text the rank of an image is that of its best-ranked ground-truth text
 * (an image has several captions), for text→image the rank of its one image; recall at K is the
 * percentage of queries ranked below K. All values are percentages (0-100).
 *
 * <p>Ranks follow {@code np.argsort(score)[::-1]}: descending score; among equal scores the later
 * index first (the reverse of a stable ascending sort; numpy's default sort does not promise an
 * order for ties, which only matters when {@code k_test < 10} leaves ground truths at -100). NaN
 * ranks first, as numpy sorts it last.
 */
public record RecallAtK(double txtR1, double txtR5, double txtR10, double txtRMean, double imgR1, double imgR5,
        double imgR10, double imgRMean, double rMean) {

    /**
     * @param i2t image-by-text scores (e.g. {@link EvaluationScores#i2t()})
     * @param t2i text-by-image scores
     * @param txt2img the image of each text
     * @param img2txt the texts of each image
     * @throws InputException if the shapes or labels do not fit together
     */
    public static RecallAtK compute(ScoreMatrix i2t, ScoreMatrix t2i, int[] txt2img, List<int[]> img2txt) {
        int images = i2t.rows();
        int texts = i2t.cols();
        if (t2i.rows() != texts || t2i.cols() != images) {
            throw new InputException("i2t is " + images + "x" + texts + " but t2i is " + t2i.rows() + "x" + t2i.cols()
                    + " (expected " + texts + "x" + images + ")");
        }
        if (txt2img.length != texts || img2txt.size() != images) {
            throw new InputException("labels for " + txt2img.length + " texts and " + img2txt.size()
                    + " images, scores for " + texts + " texts and " + images + " images");
        }
        if (images == 0 || texts == 0) {
            throw new InputException("recall needs at least one image and one text");
        }
        int[] imageRanks = new int[images];
        for (int i = 0; i < images; i++) {
            int[] truth = img2txt.get(i);
            if (truth == null || truth.length == 0) {
                throw new InputException("image " + i + " has no ground-truth text");
            }
            float[] row = i2t.row(i);
            int best = Integer.MAX_VALUE;
            for (int t : truth) {
                best = Math.min(best, rank(row, check(t, texts, "img2txt[" + i + "]")));
            }
            imageRanks[i] = best;
        }
        int[] textRanks = new int[texts];
        for (int t = 0; t < texts; t++) {
            textRanks[t] = rank(t2i.row(t), check(txt2img[t], images, "txt2img[" + t + "]"));
        }
        double tr1 = recall(imageRanks, 1);
        double tr5 = recall(imageRanks, 5);
        double tr10 = recall(imageRanks, 10);
        double ir1 = recall(textRanks, 1);
        double ir5 = recall(textRanks, 5);
        double ir10 = recall(textRanks, 10);
        double trMean = (tr1 + tr5 + tr10) / 3;
        double irMean = (ir1 + ir5 + ir10) / 3;
        return new RecallAtK(tr1, tr5, tr10, trMean, ir1, ir5, ir10, irMean, (trMean + irMean) / 2);
    }

    /** Position of {@code target} in {@code np.argsort(scores)[::-1]} (see the class comment for ties). */
    static int rank(float[] scores, int target) {
        float s = scores[target];
        int before = 0;
        for (int j = 0; j < scores.length; j++) {
            if (j != target && (greater(scores[j], s) || (equal(scores[j], s) && j > target))) {
                before++;
            }
        }
        return before;
    }

    private static boolean greater(float a, float b) {
        return Float.isNaN(a) ? !Float.isNaN(b) : !Float.isNaN(b) && a > b;
    }

    private static boolean equal(float a, float b) {
        return Float.isNaN(a) ? Float.isNaN(b) : a == b;
    }

    private static double recall(int[] ranks, int k) {
        int hits = 0;
        for (int r : ranks) {
            if (r < k) {
                hits++;
            }
        }
        return 100.0 * hits / ranks.length;
    }

    private static int check(int index, int size, String what) {
        if (index < 0 || index >= size) {
            throw new InputException(what + " = " + index + " is outside 0.." + (size - 1));
        }
        return index;
    }
}
