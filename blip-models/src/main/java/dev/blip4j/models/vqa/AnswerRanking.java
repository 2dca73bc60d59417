package dev.blip4j.models.vqa;

import dev.blip4j.core.ArrayText;
import dev.blip4j.core.InputException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * How the entries of an answer list rank for one question, with both stages of the official
 * {@code BLIP_VQA.rank_answer} kept for inspection.
 *
 * <p>Stage 1: one decoder step from {@code [DEC]} gives, for every entry, the probability of its
 * first token ({@link #firstTokenProbabilities()}); the k most probable entries become the
 * candidates ({@link #candidates()}, in {@code torch.topk} order: most probable first, ties by
 * list position). Stage 2: every candidate is scored by minus its label-smoothed loss
 * ({@link #scores()}); the best score wins, ties going to the earlier candidate as
 * {@code argmax} does.
 *
 * @param question the question as asked
 * @param answers the list that was ranked
 * @param firstTokenProbabilities stage 1, one per list entry, in list order
 *     ({@code prob_first_token})
 * @param candidates the k list indices scored in stage 2, in top-k order ({@code topk_ids})
 * @param candidateProbabilities their first-token probabilities ({@code topk_probs})
 * @param scores their stage-2 scores, same order ({@code log_probs_sum})
 */
public record AnswerRanking(String question, AnswerList answers, float[] firstTokenProbabilities, int[] candidates,
        float[] candidateProbabilities, float[] scores) {

    public AnswerRanking {
        if (candidates.length == 0 || candidates.length != candidateProbabilities.length
                || candidates.length != scores.length) {
            throw new IllegalArgumentException("candidates, their probabilities and scores must be non-empty and"
                    + " of one length");
        }
        firstTokenProbabilities = firstTokenProbabilities.clone();
        candidates = candidates.clone();
        candidateProbabilities = candidateProbabilities.clone();
        scores = scores.clone();
    }

    @Override
    public float[] firstTokenProbabilities() {
        return firstTokenProbabilities.clone();
    }

    @Override
    public int[] candidates() {
        return candidates.clone();
    }

    @Override
    public float[] candidateProbabilities() {
        return candidateProbabilities.clone();
    }

    @Override
    public float[] scores() {
        return scores.clone();
    }

    /** The number of candidates scored (k, capped at the list size). */
    public int k() {
        return candidates.length;
    }

    /**
     * The candidates' normalised probabilities, in candidate order: {@code softmax(scores)} over
     * the k candidates, {@code exp(s_i) / sum_j exp(s_j)}, computed in double precision. They sum
     * to 1 over the k candidates; entries outside the top-k have none. A score is not an exact
     * log-likelihood (label smoothing adds {@code 0.1 * mean_v log p(v)} per token), so this is a
     * normalised confidence among the candidates rather than the model's probability of the
     * answer; it orders answers exactly as the scores do.
     */
    public double[] probabilities() {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double[] p = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(scores[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The winner: what the official {@code rank_answer} returns. */
    public RankedAnswer best() {
        return top(1).get(0);
    }

    /**
     * The {@code n} best candidates (n capped at k), best first: by score, ties to the earlier
     * candidate.
     *
     * @throws InputException if n is below 1
     */
    public List<RankedAnswer> top(int n) {
        if (n < 1) {
            throw new InputException("the number of ranked answers to return must be at least 1, got " + n);
        }
        double[] probabilities = probabilities();
        List<RankedAnswer> out = new ArrayList<>();
        order().limit(n).forEach(i -> out.add(new RankedAnswer(answers.answer(candidates[i]), candidates[i],
                scores[i], probabilities[i])));
        return out;
    }

    /** Candidate positions by decreasing score; the sort is stable, so ties keep candidate order. */
    private IntStream order() {
        return IntStream.range(0, scores.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> scores[i]).reversed())
                .mapToInt(Integer::intValue);
    }

    @Override
    public String toString() {
        return "AnswerRanking[question=" + question + ", k=" + k() + ", best=" + best().answer() + ", scores="
                + ArrayText.of(scores) + "]";
    }
}
