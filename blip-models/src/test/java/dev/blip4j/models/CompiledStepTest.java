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
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.checkpoint.RandomCheckpoint;
import dev.blip4j.models.testing.Golden;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A decoder step compiled as one libtorch call gives the logits of the layers run one by one, bit
 * for bit: one row, beams sharing their image's keys and reordered, a question mask (VQA answers),
 * several sessions stepped together, and a cache that outgrows its first allocation (that step runs
 * as layers, and the compiled steps after it read the grown cache). The random tiny model is used
 * because its layers are all packed for oneDNN, which the golden models' widths are not.
 */
class CompiledStepTest {

    private static BlipModel model;

    @BeforeAll
    static void load() {
        model = BlipModel.random(new RandomCheckpoint(RandomCheckpoint.Size.TINY, BlipKind.CAPTION, 3), Device.cpu(),
                DataType.FLOAT32);
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
                List<float[][]> out = new ArrayList<>();
                try (DecoderSession a = open(net, compiledStep, images.get("0:1"), null, 3);
                        DecoderSession b = open(net, compiledStep, images.get("1:3"), null, 1)) {
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
                runs.add(out);
            }
            assertSame(runs.get(1), runs.get(0), "two sessions at different lengths");
        }
    }

    @Test
    void theGoldenModelsRunAsLayers() {
        Golden g = Golden.of("caption");
        try (Blip net = NetworkLoader.load(ModelFiles.locate(g.hf()), null, null, DataType.FLOAT32).network();
                NDManager m = net.newManager();
                DecoderSession s = net.startDecoding(m.zeros(new Shape(1, 17, 48)), null, 1)) {
            assertFalse(s.stepsCompiled(), "48-wide layers are not packed for oneDNN, so there is nothing to compile");
        }
    }

    /** Steps of 1 token per row after a 4-token prompt, reordering beams every step when there are several. */
    private static List<float[][]> decode(Blip net, boolean compiledStep, NDArray s, int perState, int steps,
            NDArray mask) {
        int rows = Math.toIntExact(s.getShape().get(0) * perState);
        List<float[][]> out = new ArrayList<>();
        try (DecoderSession session = open(net, compiledStep, s, mask, perState)) {
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

    private static DecoderSession open(Blip net, boolean compiledStep, NDArray states, NDArray mask, int perState) {
        if (compiledStep) {
            return net.startDecoding(states, mask, perState);
        }
        System.setProperty("blip4j.decoderStep", "layers");
        try {
            return net.startDecoding(states, mask, perState);
        } finally {
            System.clearProperty("blip4j.decoderStep");
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
