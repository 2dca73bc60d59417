package dev.blip4j.models;

import static dev.blip4j.models.testing.Arrays2.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.testing.Golden;
import org.junit.jupiter.api.Test;

/**
 * The decoder's shortcuts are exact: feeding one token at a time through the key/value cache gives
 * the logits of a full pass, and beams that share their image's cross-attention keys (grouped
 * rows) give what copies of the image would give, also after the beams were reordered.
 */
class DecoderSessionTest {

    @Test
    void cachedStepsAndSharedImageKeysEqualFullPasses() {
        Golden g = Golden.of("caption");
        try (Blip net = NetworkLoader.load(ModelFiles.locate(g.hf()), null, null, DataType.FLOAT32).network();
                NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            int beams = 2;
            long[][] sequences = {
                {302, 47, 117, 75, 110, 197}, {302, 47, 117, 75, 31, 167},
                {302, 47, 117, 75, 201, 3}, {302, 47, 117, 75, 212, 151},
                {302, 47, 117, 75, 99, 99}, {302, 47, 117, 75, 148, 111},
            };
            double maxErr = 0;
            try (DecoderSession session = net.startDecoding(images, null, beams)) {
                long[][] prefix = new long[6][];
                for (int r = 0; r < 6; r++) {
                    prefix[r] = java.util.Arrays.copyOf(sequences[r], 4);
                }
                session.next(prefix);
                // image 0 swaps its beams, images 1 and 2 keep one beam twice (row 3 and row 5 stay),
                // then every row is fed the continuation of the beam it now holds
                int[] swap = {1, 0, 3, 3, 5, 5};
                session.reorder(swap);
                float[][] step = session.next(column(sequences, swap, 4));
                float[][] last = session.next(column(sequences, swap, 5));
                NDArray repeated = images.repeat(0, beams);
                for (int r = 0; r < 6; r++) {
                    long[] full = sequences[swap[r]];
                    NDArray ids = m.create(full, new Shape(1, full.length));
                    NDArray logits = net.decoderLogits(ids, null, repeated.get(r + ":" + (r + 1)), null);
                    maxErr = Math.max(maxErr, maxAbs(logits.get("0, 4, :").toFloatArray(), step[r]));
                    maxErr = Math.max(maxErr, maxAbs(logits.get("0, 5, :").toFloatArray(), last[r]));
                }
            }
            System.out.printf("cached/grouped decoder vs full pass: max abs error %.3g%n", maxErr);
            assertEquals(0, maxErr, 1e-4);
        }
    }

    /** A sequence longer than the cache's first allocation: the cache grows and stays exact. */
    @Test
    void cacheGrowsPastItsFirstAllocation() {
        Golden g = Golden.of("caption");
        try (Blip net = NetworkLoader.load(ModelFiles.locate(g.hf()), null, null, DataType.FLOAT32).network();
                NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            int length = 45;
            long[][] sequences = new long[(int) images.getShape().get(0)][length];
            for (int r = 0; r < sequences.length; r++) {
                sequences[r][0] = 302;
                for (int i = 1; i < length; i++) {
                    sequences[r][i] = 10 + (7 * i + 13 * r) % 200;
                }
            }
            double maxErr = 0;
            try (DecoderSession session = net.startDecoding(images, null, 1)) {
                float[][][] logits = new float[length][][];
                for (int i = 0; i < length; i++) {
                    int at = i;
                    logits[i] = session.next(java.util.Arrays.stream(sequences).map(s -> new long[] {s[at]})
                            .toArray(long[][]::new));
                }
                NDArray full = net.decoderLogits(m.create(sequences), null, images, null);
                for (int r = 0; r < sequences.length; r++) {
                    for (int i : new int[] {0, 31, 32, 44}) {
                        maxErr = Math.max(maxErr, maxAbs(full.get(r + ", " + i + ", :").toFloatArray(), logits[i][r]));
                    }
                }
            }
            System.out.printf("45 cached steps vs full pass: max abs error %.3g%n", maxErr);
            assertEquals(0, maxErr, 1e-4);
        }
    }

    /**
     * Continuous batching: sessions of different images, beam counts and cache lengths stepped in
     * one forward pass get the logits they get stepped alone (the matrix products run over more
     * rows, so equal up to their rounding), also after one of them reordered its beams.
     */
    @Test
    void sessionsSteppedTogetherGetWhatTheyGetAlone() {
        Golden g = Golden.of("caption");
        try (Blip net = NetworkLoader.load(ModelFiles.locate(g.hf()), null, null, DataType.FLOAT32).network();
                NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            NDArray first = images.get("0:1");
            NDArray others = images.get("1:3");
            long[][] promptA = {{302, 47, 117, 75}, {302, 47, 117, 75}};
            long[][] promptB = {{302, 47}, {302, 47}};
            int[] swap = {1, 0};
            long[][][] stepsA = {{{110}, {31}}, {{197}, {167}}};
            long[][][] stepsB = {{{201}, {3}}, {{99}, {151}}};
            java.util.List<float[][]> alone = new java.util.ArrayList<>();
            try (DecoderSession a = net.startDecoding(first, null, 2); DecoderSession b = net.startDecoding(others, null, 1)) {
                a.next(promptA);
                b.next(promptB);
                for (int s = 0; s < 2; s++) {
                    alone.add(a.next(stepsA[s]));
                    alone.add(b.next(stepsB[s]));
                    a.reorder(swap);
                }
            }
            java.util.List<float[][]> together = new java.util.ArrayList<>();
            try (DecoderSession a = net.startDecoding(first, null, 2); DecoderSession b = net.startDecoding(others, null, 1)) {
                a.next(promptA);
                b.next(promptB);
                for (int s = 0; s < 2; s++) {
                    together.addAll(DecoderSession.next(java.util.List.of(a, b), java.util.List.of(stepsA[s], stepsB[s])));
                    a.reorder(swap);
                }
            }
            double maxErr = 0;
            boolean identical = true;
            for (int i = 0; i < alone.size(); i++) {
                for (int r = 0; r < alone.get(i).length; r++) {
                    maxErr = Math.max(maxErr, maxAbs(alone.get(i)[r], together.get(i)[r]));
                    identical &= java.util.Arrays.equals(alone.get(i)[r], together.get(i)[r]);
                }
            }
            System.out.printf("sessions stepped together vs alone: max abs error %.3g, bit-identical %b%n", maxErr,
                    identical);
            assertEquals(0, maxErr, 1e-5);
        }
    }

    private static long[][] column(long[][] sequences, int[] order, int position) {
        long[][] out = new long[order.length][];
        for (int r = 0; r < order.length; r++) {
            out[r] = new long[] {sequences[order[r]][position]};
        }
        return out;
    }

    private static double maxAbs(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
