package dev.blip4j.models.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerRanking;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A task result as what must be equal (texts, token ids, which candidates) and its numbers (scores,
 * probabilities, embeddings), which may differ by the rounding of matrix products over more rows.
 */
record ResultPrint(List<Object> exact, double[] numbers) {

    /** Largest score difference allowed between a batched and a lone request. */
    static final double TOLERANCE = 1e-5;

    static ResultPrint of(Object result) {
        List<Object> exact = new ArrayList<>();
        List<Double> numbers = new ArrayList<>();
        add(result, exact, numbers);
        return new ResultPrint(exact, numbers.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static void add(Object r, List<Object> exact, List<Double> numbers) {
        if (r instanceof List<?> list) {
            exact.add("list of " + list.size());
            list.forEach(x -> add(x, exact, numbers));
        } else if (r instanceof Caption c) {
            exact.add(c.text());
            exact.add(Arrays.toString(c.tokenIds()));
            numbers.add(c.score());
        } else if (r instanceof Match m) {
            exact.add(m.text());
            numbers.add(m.itm());
            numbers.add(m.itc());
        } else if (r instanceof Answer a) {
            exact.add(a.question());
            exact.add(a.text());
            exact.add(Arrays.toString(a.tokenIds()));
            numbers.add(a.score());
        } else if (r instanceof AnswerRanking a) {
            exact.add(a.question());
            exact.add(Arrays.toString(a.candidates()));
            floats(a.scores(), numbers);
            floats(a.candidateProbabilities(), numbers);
        } else if (r instanceof ImageFeatures f) {
            floats(f.embedding(), numbers);
            floats(f.states(), numbers);
        } else if (r instanceof TextFeatures t) {
            exact.add(t.text());
            exact.add(Arrays.toString(t.ids()));
            floats(t.embedding(), numbers);
            floats(t.states(), numbers);
        } else {
            throw new IllegalArgumentException("no print for " + r.getClass());
        }
    }

    private static void floats(float[] values, List<Double> out) {
        if (values != null) {
            for (float v : values) {
                out.add((double) v);
            }
        }
    }

    /** Asserts {@code got} equals this within {@link #TOLERANCE}; returns its largest difference. */
    double assertMatches(String label, ResultPrint got, Agreement agreement) {
        assertEquals(exact, got.exact, label + ": texts, token ids or candidates differ");
        assertEquals(numbers.length, got.numbers.length, label + ": number count");
        double max = 0;
        for (int i = 0; i < numbers.length; i++) {
            double a = numbers[i];
            double b = got.numbers[i];
            if (Double.isNaN(a) && Double.isNaN(b)) {
                continue;
            }
            double d = Math.abs(a - b);
            if (!(d <= TOLERANCE)) {
                fail(label + ": number " + i + " is " + b + ", alone " + a);
            }
            max = Math.max(max, d);
            agreement.count(a == b);
        }
        agreement.max(max);
        return max;
    }

    /** How closely a run agreed: values bit-identical, values merely close, the largest difference. */
    static final class Agreement {
        private long identical;
        private long close;
        private double max;

        synchronized void count(boolean same) {
            if (same) {
                identical++;
            } else {
                close++;
            }
        }

        synchronized void max(double d) {
            max = Math.max(max, d);
        }

        @Override
        public synchronized String toString() {
            return String.format("%d numbers bit-identical, %d within %.0e (largest difference %.3g)", identical,
                    close, TOLERANCE, max);
        }
    }
}
