package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The transformer feed-forward block: {@code fc2(gelu(fc1(x)))}, with exact (erf) GELU as BLIP uses. */
public record Mlp(Linear fc1, Linear fc2) {

    public NDArray apply(NDArray x) {
        return fc2.apply(Activation.gelu(fc1.apply(x)));
    }
}
