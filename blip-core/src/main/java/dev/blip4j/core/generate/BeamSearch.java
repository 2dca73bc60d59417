package dev.blip4j.core.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Beam search with the semantics of transformers 4.15 ({@code beam_search} and
 * {@code BeamSearchScorer}), which BLIP's published results come from: processors act on
 * log-probabilities; per input the best 2 x beams candidates are walked in order, an end token
 * among the first {@code beams} closes a hypothesis, other tokens fill the next beams; an input is
 * done when no open beam can beat its kept hypotheses. The beams of every input run as rows of one
 * model call per step.
 */
final class BeamSearch {

    private static final float UNREACHABLE = -1e9f;

    private BeamSearch() {}

    static List<List<Sequence>> run(NextTokenModel model, long[] prompt, int inputs, GenerationConfig config,
            long eosId, long padId, SearchListener listener) {
        int beams = config.numBeams();
        int rows = inputs * beams;
        int candidates = 2 * beams;
        LogitsProcessor processors = LogitsProcessor.chain(config.processors(eosId));

        long[][] sequences = new long[rows][];
        Arrays.fill(sequences, prompt);
        float[] beamScores = new float[rows];
        for (int r = 0; r < rows; r++) {
            beamScores[r] = r % beams == 0 ? 0f : UNREACHABLE;
        }
        BeamHypotheses[] hypotheses = new BeamHypotheses[inputs];
        boolean[] done = new boolean[inputs];
        for (int i = 0; i < inputs; i++) {
            hypotheses[i] = new BeamHypotheses(beams, config.lengthPenalty());
        }

        float[][] logits = model.next(sequences);
        for (int step = 0; ; step++) {
            int length = sequences[0].length;
            float[][] scores = new float[rows][];
            for (int r = 0; r < rows; r++) {
                scores[r] = LogSoftmax.of(logits[r]);
                processors.process(sequences[r], scores[r]);
                for (int v = 0; v < scores[r].length; v++) {
                    scores[r][v] += beamScores[r];
                }
            }
            listener.onScores(step, sequences, logits, scores);

            float[] nextScores = new float[rows];
            long[] nextTokens = new long[rows];
            int[] nextRows = new int[rows];
            float[][] topScores = new float[inputs][];
            int[][] topBeams = new int[inputs][];
            long[][] topTokens = new long[inputs][];
            for (int i = 0; i < inputs; i++) {
                Candidates top = Candidates.best(scores, i * beams, beams, candidates);
                topScores[i] = top.scores();
                topBeams[i] = top.beams();
                topTokens[i] = top.tokens();
                if (done[i]) {
                    Arrays.fill(nextTokens, i * beams, (i + 1) * beams, padId);
                    continue;
                }
                int filled = 0;
                for (int rank = 0; rank < candidates && filled < beams; rank++) {
                    int row = i * beams + top.beams()[rank];
                    if (top.tokens()[rank] == eosId) {
                        if (rank < beams) {
                            hypotheses[i].add(sequences[row],
                                    top.scores()[rank],
                                    Lengths.normLength(length, prompt.length, config));
                        }
                    } else {
                        nextScores[i * beams + filled] = top.scores()[rank];
                        nextTokens[i * beams + filled] = top.tokens()[rank];
                        nextRows[i * beams + filled] = row;
                        filled++;
                    }
                }
                done[i] = hypotheses[i].isDone(top.scores()[0], Lengths.normLength(length, prompt.length, config));
            }
            listener.onBeamStep(step, topScores, topBeams, topTokens, nextScores, nextTokens, nextRows);

            long[][] advanced = new long[rows][];
            for (int r = 0; r < rows; r++) {
                advanced[r] = TokenSearch.append(sequences[nextRows[r]], nextTokens[r]);
            }
            sequences = advanced;
            beamScores = nextScores;
            if (allTrue(done) || sequences[0].length >= config.maxLength()) {
                break;
            }
            model.reorder(nextRows);
            long[][] column = new long[rows][];
            for (int r = 0; r < rows; r++) {
                column[r] = new long[] {nextTokens[r]};
            }
            logits = model.next(column);
        }

        List<List<Sequence>> out = new ArrayList<>(inputs);
        for (int i = 0; i < inputs; i++) {
            if (!done[i]) {
                for (int b = 0; b < beams; b++) {
                    int row = i * beams + b;
                    hypotheses[i].add(sequences[row], beamScores[row],
                            Lengths.normLength(sequences[row].length, prompt.length, config));
                }
            }
            List<Sequence> best = new ArrayList<>();
            for (BeamHypotheses.Hypothesis h : hypotheses[i].best(config.numReturnSequences())) {
                long[] ids = h.ids().length < config.maxLength() ? TokenSearch.append(h.ids(), eosId) : h.ids();
                best.add(new Sequence(ids, h.score()));
            }
            out.add(best);
        }
        return out;
    }

    private static boolean allTrue(boolean[] flags) {
        for (boolean f : flags) {
            if (!f) {
                return false;
            }
        }
        return true;
    }

    /** The best candidates of one input over (beam, token), best first, ties to the lower flat index. */
    private record Candidates(float[] scores, int[] beams, long[] tokens) {

        static Candidates best(float[][] scores, int firstRow, int beams, int k) {
            int vocab = scores[firstRow].length;
            float[] bestScores = new float[k];
            int[] bestFlat = new int[k];
            Arrays.fill(bestScores, Float.NEGATIVE_INFINITY);
            Arrays.fill(bestFlat, Integer.MAX_VALUE);
            for (int b = 0; b < beams; b++) {
                float[] row = scores[firstRow + b];
                for (int v = 0; v < vocab; v++) {
                    float s = row[v];
                    int flat = b * vocab + v;
                    if (s > bestScores[k - 1] || (s == bestScores[k - 1] && flat < bestFlat[k - 1])) {
                        int pos = k - 1;
                        while (pos > 0 && (s > bestScores[pos - 1] || (s == bestScores[pos - 1] && flat < bestFlat[pos - 1]))) {
                            bestScores[pos] = bestScores[pos - 1];
                            bestFlat[pos] = bestFlat[pos - 1];
                            pos--;
                        }
                        bestScores[pos] = s;
                        bestFlat[pos] = flat;
                    }
                }
            }
            int[] beamOf = new int[k];
            long[] tokenOf = new long[k];
            for (int j = 0; j < k; j++) {
                beamOf[j] = bestFlat[j] / vocab;
                tokenOf[j] = bestFlat[j] % vocab;
            }
            return new Candidates(bestScores, beamOf, tokenOf);
        }
    }
}
