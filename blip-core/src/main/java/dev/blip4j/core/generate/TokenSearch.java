package dev.blip4j.core.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Greedy search and sampling: one row per returned sequence, one token per row per step, as
 * transformers' {@code greedy_search} and {@code sample}. They differ only in how a token is
 * picked from the processed scores.
 */
final class TokenSearch {

    private TokenSearch() {}

    static List<List<Sequence>> run(NextTokenModel model, long[] prompt, int inputs, GenerationConfig config,
            long eosId, long padId, long[] inputSeeds, SearchListener listener) {
        int perInput = config.numReturnSequences();
        int rows = inputs * perInput;
        LogitsProcessor processors = LogitsProcessor.chain(config.processors(eosId));
        LogitsProcessor warpers = LogitsProcessor.chain(config.warpers());
        SplittableRandom[] random = new SplittableRandom[rows];
        for (int r = 0; r < rows; r++) {
            random[r] = new SplittableRandom(Seeds.mix(inputSeeds[r / perInput], r % perInput));
        }

        long[][] sequences = new long[rows][];
        Arrays.fill(sequences, prompt);
        boolean[] finished = new boolean[rows];
        double[] sumLogProbs = new double[rows];
        float[][] logits = model.next(sequences);
        for (int step = 0; ; step++) {
            float[][] scores = new float[rows][];
            long[] chosen = new long[rows];
            for (int r = 0; r < rows; r++) {
                scores[r] = logits[r].clone();
                processors.process(sequences[r], scores[r]);
                if (finished[r]) {
                    chosen[r] = padId;
                    continue;
                }
                chosen[r] = config.sample() ? draw(scores[r], warpers, sequences[r], random[r]) : argmax(scores[r]);
                sumLogProbs[r] += LogSoftmax.of(scores[r])[(int) chosen[r]];
            }
            listener.onScores(step, sequences, logits, scores);
            boolean all = true;
            for (int r = 0; r < rows; r++) {
                sequences[r] = append(sequences[r], chosen[r]);
                finished[r] |= chosen[r] == eosId;
                all &= finished[r];
            }
            if (all || sequences[0].length >= config.maxLength()) {
                break;
            }
            long[][] column = new long[rows][];
            for (int r = 0; r < rows; r++) {
                column[r] = new long[] {chosen[r]};
            }
            logits = model.next(column);
        }

        List<List<Sequence>> out = new ArrayList<>(inputs);
        for (int i = 0; i < inputs; i++) {
            List<Sequence> forInput = new ArrayList<>(perInput);
            for (int r = i * perInput; r < (i + 1) * perInput; r++) {
                long[] ids = trimAfterEos(sequences[r], eosId);
                int length = ids[ids.length - 1] == eosId ? ids.length - 1 : ids.length;
                forInput.add(new Sequence(ids, Lengths.normalise(sumLogProbs[r], length, prompt.length, config)));
            }
            out.add(forInput);
        }
        return out;
    }

    /** First index of the largest score, as {@code torch.argmax}. */
    static int argmax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }

    private static long draw(float[] processed, LogitsProcessor warpers, long[] sequence, SplittableRandom random) {
        float[] warped = processed.clone();
        warpers.process(sequence, warped);
        float max = Float.NEGATIVE_INFINITY;
        for (float s : warped) {
            max = Math.max(max, s);
        }
        double[] cumulative = new double[warped.length];
        double sum = 0;
        for (int i = 0; i < warped.length; i++) {
            sum += warped[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(warped[i] - max);
            cumulative[i] = sum;
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < cumulative.length; i++) {
            if (u < cumulative[i]) {
                return i;
            }
        }
        return argmax(warped);
    }

    static long[] append(long[] sequence, long token) {
        long[] out = Arrays.copyOf(sequence, sequence.length + 1);
        out[sequence.length] = token;
        return out;
    }

    private static long[] trimAfterEos(long[] sequence, long eosId) {
        for (int i = 0; i < sequence.length; i++) {
            if (sequence[i] == eosId) {
                return Arrays.copyOf(sequence, i + 1);
            }
        }
        return sequence;
    }
}
