package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;

/**
 * Looks at the cross-attention probabilities of one layer of a text stack, [rows, heads, tokens,
 * memory tokens], and returns what the layer uses in their place (the same array to only observe).
 * Grad-CAM returns a copy that autograd treats as a leaf, so that a gradient reaches it.
 *
 * @param layer index of the layer in its stack
 */
public record CrossAttentionProbe(int layer, UnaryOperator<NDArray> probabilities) {

    public CrossAttentionProbe {
        if (layer < 0) {
            throw new IllegalArgumentException("layer must not be negative, got " + layer);
        }
        if (probabilities == null) {
            throw new IllegalArgumentException("the probe needs a function of the probabilities");
        }
    }
}
