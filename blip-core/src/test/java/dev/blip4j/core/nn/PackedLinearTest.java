package dev.blip4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.BlipEngine;
import org.junit.jupiter.api.Test;

/**
 * float32 layers packed for oneDNN compute what the dense layer computes, at the row counts BLIP
 * runs (a greedy step, beams, a text, an image's 577 patches), for BLIP-base's shapes; where the
 * packed product would be wrong (some small output widths), the layer is not packed at all.
 */
class PackedLinearTest {

    private static final int[][] BASE = {{768, 768}, {768, 2304}, {768, 1536}, {768, 3072}, {3072, 768}};
    private static final int[][] TINY = {{48, 48}, {48, 96}, {48, 144}, {144, 48}, {48, 304}};

    @Test
    void blipBaseLayersArePackedAndAgree() {
        assertTrue(PackedLinear.oneDnnAvailable(), "this engine is built with oneDNN");
        try (NDManager m = BlipEngine.newManager(null)) {
            for (int[] s : BASE) {
                Linear.Dense dense = dense(m, s[0], s[1]);
                PackedLinear packed = PackedLinear.oneDnn(dense, m);
                assertNotNull(packed, "[" + s[0] + " -> " + s[1] + "] is packed");
                for (int rows : new int[] {1, 3, 12, 35, 577}) {
                    NDArray x = m.randomNormal(new Shape(1, rows, s[0]));
                    NDArray want = dense.apply(x);
                    float err = packed.apply(x).sub(want).abs().max().getFloat();
                    assertTrue(err < 1e-4f * Math.max(1f, want.abs().max().getFloat()),
                            "[" + s[0] + " -> " + s[1] + "] at " + rows + " rows: " + err);
                }
            }
        }
    }

    @Test
    void aLayerThePackedProductGetsWrongStaysDense() {
        try (NDManager m = BlipEngine.newManager(null)) {
            for (int[] s : TINY) {
                Linear.Dense dense = dense(m, s[0], s[1]);
                PackedLinear packed = PackedLinear.oneDnn(dense, m);
                if (packed != null) {
                    for (int rows : new int[] {1, 3, 20}) {
                        NDArray x = m.randomNormal(new Shape(rows, s[0]));
                        float err = packed.apply(x).sub(dense.apply(x)).abs().max().getFloat();
                        assertTrue(err < 1e-4f, "[" + s[0] + " -> " + s[1] + "] at " + rows + " rows: " + err);
                    }
                }
            }
        }
    }

    private static Linear.Dense dense(NDManager m, int in, int out) {
        return Linear.of(m.randomNormal(0, 0.05f, new Shape(out, in), DataType.FLOAT32),
                m.randomNormal(0, 0.05f, new Shape(out), DataType.FLOAT32));
    }
}
