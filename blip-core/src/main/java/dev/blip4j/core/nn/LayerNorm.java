package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Layer normalisation over the last dimension. The epsilon matters for exactness: the official ViT
 * uses 1e-6, BERT 1e-12, HF's vision config says 1e-5.
 */
public record LayerNorm(NDArray weight, NDArray bias, float eps) {

    public LayerNorm {
        if (!weight.getShape().equals(bias.getShape()) || weight.getShape().dimension() != 1) {
            throw new IllegalArgumentException(
                    "LayerNorm weight " + weight.getShape() + " and bias " + bias.getShape() + " must be equal 1-d");
        }
    }

    public NDArray apply(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(weight.getShape().get(0)), weight, bias, eps)
                .singletonOrThrow();
    }
}
