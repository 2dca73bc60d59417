package dev.blip4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.models.checkpoint.RandomCheckpoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The text layers compiled as one libtorch call give what the layers run one by one give, bit for
 * bit, in every mode: decoding (prompt and steps of one row, beams sharing their image's keys and
 * reordered, a question mask as for VQA answers, sessions stepped together, a cache that outgrows
 * its first allocation), the text encoder with padding, the image-grounded encoder, and the decoder
 * over whole sequences. (Where the golden models' text layers are packed, as on this project's
 * AVX-512 machines, the golden tests check the compiled layers against the official outputs too.)
 */
class CompiledLayersTest {

    private static BlipModel model;

    @BeforeAll
    static void load() {
        model = BlipModel.random(new RandomCheckpoint(RandomCheckpoint.Size.TINY, BlipKind.PRETRAIN, 3), Device.cpu(),
                DataType.FLOAT32);
    }

    /**
     * Where oneDNN's packed product is wrong for a layer's width on this CPU, that layer is not
     * packed (see {@code PackedLinear}) and its stack has no compiled form to compare.
     */
    @BeforeEach
    void layersArePacked() {
        try (NDManager m = model.network().newManager();
                DecoderSession s = model.network().startDecoding(m.zeros(new Shape(1, 5, 48)), null, 1)) {
            Assumptions.assumeTrue(s.stepsCompiled(), "the tiny model's layers are not packed for oneDNN on this CPU");
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void oneRowAndBeamsGetTheLayersLogits() {
        Blip net = model.network();
        try (NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(m.randomUniform(-1, 1, new Shape(2, 3, 64, 64)));
            for (int beams : new int[] {1, 3}) {
                List<float[][]> compiled = decode(net, true, images, beams, 40, null);
                List<float[][]> layers = decode(net, false, images, beams, 40, null);
                assertSame(layers, compiled, beams + " rows per image");
            }
        }
    }

    @Test
    void aQuestionMaskIsApplied() {
        Blip net = model.network();
        try (NDManager m = net.newManager()) {
            NDArray states = m.randomNormal(new Shape(2, 7, 48));
            NDArray mask = m.create(new float[] {1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0}, new Shape(2, 7));
            List<float[][]> compiled = decode(net, true, states, 2, 6, mask);
            List<float[][]> layers = decode(net, false, states, 2, 6, mask);
            assertSame(layers, compiled, "masked states");
            List<float[][]> unmasked = decode(net, true, states, 2, 6, null);
            assertFalse(java.util.Arrays.equals(unmasked.get(3)[0], compiled.get(3)[0]), "the mask changes the logits");
        }
    }

    @Test
    void sessionsSteppedTogetherGetTheLayersLogits() {
        Blip net = model.network();
        try (NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(m.randomUniform(-1, 1, new Shape(3, 3, 64, 64)));
            List<List<float[][]>> runs = new ArrayList<>();
            for (boolean compiledStep : new boolean[] {true, false}) {
                runs.add(run(compiledStep, () -> {
                    List<float[][]> out = new ArrayList<>();
                    try (DecoderSession a = net.startDecoding(images.get("0:1"), null, 3);
                            DecoderSession b = net.startDecoding(images.get("1:3"), null, 1)) {
                        assertEquals(compiledStep, a.stepsCompiled());
                        a.next(new long[][] {{30522, 1037, 3861}, {30522, 1037, 3861}, {30522, 1037, 3861}});
                        b.next(new long[][] {{30522}, {30522}});
                        for (int step = 0; step < 5; step++) {
                            long[][] forA = {{2000 + step}, {2100 + step}, {2200 + step}};
                            long[][] forB = {{3000 + step}, {3100 + step}};
                            out.addAll(DecoderSession.next(List.of(a, b), List.of(forA, forB)));
                            a.reorder(new int[] {step % 3, 0, 1});
                        }
                    }
                    return out;
                }));
            }
            assertSame(runs.get(1), runs.get(0), "two sessions at different lengths");
        }
    }

    @Test
    void encodersAndWholeSequencesGetTheLayersStates() {
        Blip net = model.network();
        try (NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(m.randomUniform(-1, 1, new Shape(2, 3, 64, 64)));
            long[][] ids = {{101, 1037, 3861, 1997, 1037, 3899, 102}, {101, 2048, 102, 0, 0, 0, 0}};
            NDArray tokens = m.create(ids);
            NDArray mask = m.create(new long[][] {{1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0, 0}});
            // 8 texts of 20 tokens sharing one image: 160 grouped queries take the fused kernel
            NDArray long8 = m.arange(1000, 1160, 1, DataType.INT64).reshape(8, 20);
            java.util.function.Supplier<List<NDArray>> all = () -> List.of(
                    net.encodeText(tokens, mask),
                    net.encodeMultimodal(tokens, mask, images, null),
                    net.decoderLogits(tokens, mask, images, null),
                    net.decoderLogits(tokens, mask, images.get("0:1"), null),
                    net.decoderLogits(long8, null, images.get("1:2"), null));
            List<NDArray> compiled = all.get();
            List<NDArray> layers = run(false, all);
            String[] what = {"text encoder", "image-grounded encoder", "decoder over sequences",
                "decoder over sequences sharing one image", "fused cross-attention of 160 grouped queries"};
            for (int i = 0; i < what.length; i++) {
                assertArrayEquals(layers.get(i).toFloatArray(), compiled.get(i).toFloatArray(), 0f, what[i]);
            }
        }
    }

    /** Steps of 1 token per row after a 4-token prompt, reordering beams every step when there are several. */
    private static List<float[][]> decode(Blip net, boolean compiledStep, NDArray s, int perState, int steps,
            NDArray mask) {
        return run(compiledStep, () -> decode(net, compiledStep, s, perState, steps, mask, new ArrayList<>()));
    }

    private static List<float[][]> decode(Blip net, boolean compiledStep, NDArray s, int perState, int steps,
            NDArray mask, List<float[][]> out) {
        int rows = Math.toIntExact(s.getShape().get(0) * perState);
        try (DecoderSession session = net.startDecoding(s, mask, perState)) {
            assertEquals(compiledStep, session.stepsCompiled(), "compiled step in use");
            long[][] prompt = new long[rows][];
            java.util.Arrays.fill(prompt, new long[] {30522, 1037, 3861, 1997});
            out.add(session.next(prompt));
            for (int i = 0; i < steps; i++) {
                long[][] column = new long[rows][1];
                for (int r = 0; r < rows; r++) {
                    column[r][0] = 2000 + 7 * i + 3 * r;
                }
                out.add(session.next(column));
                if (perState > 1) {
                    int[] from = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        from[r] = (r + i) % 3 == 0 ? r : r / perState * perState;
                    }
                    session.reorder(from);
                }
            }
        }
        return out;
    }

    /** {@code work} with the layers compiled, or run one by one (the switch is read at every run of the layers). */
    private static <T> T run(boolean compiled, java.util.function.Supplier<T> work) {
        if (compiled) {
            return work.get();
        }
        System.setProperty("blip4j.textLayers", "java");
        try {
            return work.get();
        } finally {
            System.clearProperty("blip4j.textLayers");
        }
    }

    private static void assertSame(List<float[][]> want, List<float[][]> got, String what) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            for (int r = 0; r < want.get(i).length; r++) {
                assertArrayEquals(want.get(i)[r], got.get(i)[r], 0f, what + ": step " + i + ", row " + r);
            }
        }
        assertTrue(want.size() > 1);
    }
}
