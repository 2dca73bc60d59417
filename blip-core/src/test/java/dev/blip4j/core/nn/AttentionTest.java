package dev.blip4j.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.BlipEngine;
import org.junit.jupiter.api.Test;

/**
 * The fused attention kernel computes what the written-out softmax computes (the form a probe
 * still gets) for every shape BLIP gives it: the ViT's 577 tokens, padded texts, the causal mask,
 * a decoder step over a view into a preallocated cache, the golden models' 16-wide heads.
 */
class AttentionTest {

    @Test
    void theFusedKernelIsThere() {
        assertTrue(Attention.compiled(), "this engine compiles the attention kernels");
    }

    @Test
    void fusedAndWrittenOutAttentionAgree() {
        try (NDManager m = BlipEngine.newManager(null)) {
            // ViT: no mask
            check(m, m.randomNormal(new Shape(2, 12, 577, 64)), m.randomNormal(new Shape(2, 12, 577, 64)),
                    m.randomNormal(new Shape(2, 12, 577, 64)), null);
            // a padded text batch: [B, 1, 1, N], -10000 on padding
            NDArray padding = m.zeros(new Shape(3, 1, 1, 35));
            padding.set(new NDIndex("1, :, :, 20:"), -10000f);
            check(m, m.randomNormal(new Shape(3, 12, 35, 64)), m.randomNormal(new Shape(3, 12, 35, 64)),
                    m.randomNormal(new Shape(3, 12, 35, 64)), padding);
            // the decoder's causal mask on 16-wide heads
            float[] above = new float[25];
            for (int i = 0; i < 5; i++) {
                for (int j = i + 1; j < 5; j++) {
                    above[i * 5 + j] = -1e9f;
                }
            }
            NDArray causal = m.create(above, new Shape(1, 1, 5, 5));
            check(m, m.randomNormal(new Shape(2, 3, 5, 16)), m.randomNormal(new Shape(2, 3, 5, 16)),
                    m.randomNormal(new Shape(2, 3, 5, 16)), causal);
            // one decoder step attending to the first 9 slots of a cache with room for 32
            NDArray cache = m.randomNormal(new Shape(2, 3, 12, 32, 64));
            NDArray keys = cache.get(new NDIndex("0, :, :, :9, :"));
            NDArray values = cache.get(new NDIndex("1, :, :, :9, :"));
            check(m, m.randomNormal(new Shape(3, 12, 1, 64)), keys, values, m.zeros(new Shape(3, 1, 1, 9)));
        }
    }

    private static void check(NDManager m, NDArray q, NDArray k, NDArray v, NDArray bias) {
        NDArray fused = Attention.attend(q, k, v, bias);
        NDArray written = Attention.attend(q, k, v, bias, p -> p);
        assertArrayEquals(written.getShape().getShape(), fused.getShape().getShape());
        float err = fused.sub(written).abs().max().getFloat();
        assertTrue(err < 1e-5f, "fused against written-out attention for q " + q.getShape() + ": " + err);
        assertEquals(0, fused.isNaN().sum().getLong(), "no NaN");
    }
}
