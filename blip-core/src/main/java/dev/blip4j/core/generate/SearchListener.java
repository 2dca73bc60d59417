package dev.blip4j.core.generate;

/**
 * A window into a search, step by step: what the model proposed and what the processors made of
 * it. For tests against reference traces and for notebooks that show how a caption was chosen.
 */
public interface SearchListener {

    SearchListener NONE = new SearchListener() {};

    /**
     * @param step 0 for the token after the prompt
     * @param sequences every row's tokens so far
     * @param rawLogits the model's logits
     * @param scores what the choice is made on: processed logits (greedy, sampling) or processed
     *     log-probabilities plus the running beam score (beam search)
     */
    default void onScores(int step, long[][] sequences, float[][] rawLogits, float[][] scores) {}

    /**
     * Beam search: per input, the best 2 x beams candidates over (beam, token), best first, and
     * where the new beams come from.
     */
    default void onBeamStep(int step, float[][] topScores, int[][] topBeams, long[][] topTokens,
            float[] nextBeamScores, long[] nextBeamTokens, int[] nextBeamRows) {}
}
