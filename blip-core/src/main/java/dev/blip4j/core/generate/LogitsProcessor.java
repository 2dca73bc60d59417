package dev.blip4j.core.generate;

import java.util.Arrays;
import java.util.List;

/**
 * One in-place adjustment of a row's next-token scores given the tokens so far, as transformers'
 * logits processors and warpers. Searches compose them once per request.
 */
@FunctionalInterface
public interface LogitsProcessor {

    /**
     * @param sequence every token of the row so far, prompt included
     * @param scores the row's scores, changed in place
     */
    void process(long[] sequence, float[] scores);

    /** Applies the processors in order. */
    static LogitsProcessor chain(List<LogitsProcessor> processors) {
        List<LogitsProcessor> list = List.copyOf(processors);
        return (sequence, scores) -> list.forEach(p -> p.process(sequence, scores));
    }

    /**
     * CTRL's repetition penalty: a token already in the sequence (the prompt counts) has a
     * positive score divided by {@code penalty} and a negative one multiplied by it, once per
     * distinct token.
     */
    static LogitsProcessor repetitionPenalty(float penalty) {
        return (sequence, scores) -> {
            long[] seen = Arrays.stream(sequence).distinct().toArray();
            for (long id : seen) {
                int i = (int) id;
                scores[i] = scores[i] < 0 ? scores[i] * penalty : scores[i] / penalty;
            }
        };
    }

    /** The end token is impossible while the sequence, prompt included, is shorter than {@code minLength}. */
    static LogitsProcessor minLength(int minLength, long eosId) {
        return (sequence, scores) -> {
            if (sequence.length < minLength) {
                scores[(int) eosId] = Float.NEGATIVE_INFINITY;
            }
        };
    }

    static LogitsProcessor temperature(float temperature) {
        return (sequence, scores) -> {
            for (int i = 0; i < scores.length; i++) {
                scores[i] /= temperature;
            }
        };
    }

    /** Keeps the {@code k} best scores (and any tied with the k-th), the rest become -inf. */
    static LogitsProcessor topK(int k) {
        return (sequence, scores) -> {
            if (k >= scores.length) {
                return;
            }
            float[] sorted = scores.clone();
            Arrays.sort(sorted);
            float kth = sorted[sorted.length - k];
            for (int i = 0; i < scores.length; i++) {
                if (scores[i] < kth) {
                    scores[i] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    /**
     * Nucleus filtering: keeps the smallest set of best tokens whose probabilities sum past
     * {@code p} (the token that crosses {@code p} is kept, as is always the best one).
     */
    static LogitsProcessor topP(float p) {
        return (sequence, scores) -> {
            Integer[] order = new Integer[scores.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
            double max = scores[order[0]];
            double sum = 0;
            for (float s : scores) {
                sum += Math.exp(s - max);
            }
            double cumulative = 0;
            boolean cut = false;
            for (Integer i : order) {
                if (cut) {
                    scores[i] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                cumulative += Math.exp(scores[i] - max) / sum;
                cut = cumulative > p;
            }
        };
    }
}
