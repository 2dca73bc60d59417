package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Linear;

/**
 * BERT's language-model head ({@code cls.predictions}): dense, GELU, LayerNorm, then the vocabulary
 * projection, whose weight is tied to the word embeddings in the official checkpoints.
 */
public record LmHead(Linear transform, LayerNorm norm, Linear decoder) {

    /** Logits [..., vocab] for hidden states [..., H]. */
    public NDArray apply(NDArray hidden) {
        return decoder.apply(norm.apply(Activation.gelu(transform.apply(hidden))));
    }
}
