package dev.blip4j.core.generate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The finished hypotheses of one input in beam search, with transformers 4.15's bookkeeping: at
 * most {@code numBeams} kept, scored as summed log-probabilities over length^penalty in double
 * precision, the worst dropped when a better one arrives.
 */
final class BeamHypotheses {

    record Hypothesis(long[] ids, double score) {}

    private final int numBeams;
    private final double lengthPenalty;
    private final List<Hypothesis> beams = new ArrayList<>();
    private double worstScore = 1e9;

    BeamHypotheses(int numBeams, double lengthPenalty) {
        this.numBeams = numBeams;
        this.lengthPenalty = lengthPenalty;
    }

    /** @param length the length the score is normalised by */
    void add(long[] ids, double sumLogProbs, int length) {
        double score = sumLogProbs / Math.pow(length, lengthPenalty);
        if (beams.size() < numBeams || score > worstScore) {
            beams.add(new Hypothesis(ids, score));
            if (beams.size() > numBeams) {
                int worst = 0;
                for (int i = 1; i < beams.size(); i++) {
                    if (beams.get(i).score() < beams.get(worst).score()) {
                        worst = i;
                    }
                }
                beams.remove(worst);
                worstScore = beams.stream().mapToDouble(Hypothesis::score).min().orElseThrow();
            } else {
                worstScore = Math.min(score, worstScore);
            }
        }
    }

    /** No open beam can beat the kept ones any more (early stopping off). */
    boolean isDone(double bestSumLogProbs, int length) {
        if (beams.size() < numBeams) {
            return false;
        }
        return worstScore >= bestSumLogProbs / Math.pow(length, lengthPenalty);
    }

    /** The best {@code n}, best first; among equal scores the later-added wins, as Python's stable sort then pop. */
    List<Hypothesis> best(int n) {
        List<Hypothesis> sorted = new ArrayList<>(beams);
        sorted.sort(Comparator.comparingDouble(Hypothesis::score));
        List<Hypothesis> out = new ArrayList<>(n);
        for (int i = 0; i < n && !sorted.isEmpty(); i++) {
            out.add(sorted.remove(sorted.size() - 1));
        }
        return out;
    }
}
