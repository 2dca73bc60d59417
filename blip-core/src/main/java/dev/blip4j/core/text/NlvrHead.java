package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.blip4j.core.nn.Linear;

/**
 * NLVR2's classifier ({@code cls_head} of {@code BLIP_NLVR}): Linear, ReLU, Linear to two classes,
 * read from the first token of the text grounded in both images. Index 1 is "true".
 */
public record NlvrHead(Linear hidden, Linear output) {

    /** Logits [..., 2] for states [..., H]. */
    public NDArray apply(NDArray x) {
        return output.apply(Activation.relu(hidden.apply(x)));
    }
}
