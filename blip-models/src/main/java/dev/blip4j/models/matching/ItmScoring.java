package dev.blip4j.models.matching;

import ai.djl.ndarray.NDArray;
import dev.blip4j.core.ImageTextNetwork;

/**
 * The image-grounded encoder and ITM head over arrays, shared by matching, retrieval re-ranking
 * and evaluation. Results live in the manager of the text ids.
 */
public final class ItmScoring {

    private ItmScoring() {}

    /**
     * ITM logits [T, 2] of texts against images: one image row per text, or one image for every
     * text (its cross-attention keys and values then computed once for all rows: the same numbers
     * as repeating the image T times, as the official code does, without the copies).
     *
     * @param images [T, N, W] or [1, N, W] image tokens
     * @param ids [T, L] token ids, first token already {@code [ENC]} or {@code [CLS]}
     * @param mask [T, L] attention mask
     */
    public static NDArray logits(ImageTextNetwork net, NDArray images, NDArray ids, NDArray mask) {
        return net.itmLogits(images, ids, mask);
    }

    /** {@code softmax(logits)[:, 1]}, the match probability, in float32 as torch computes it. */
    public static float[] probabilities(NDArray logits) {
        return logits.softmax(-1).get(":, 1").toFloatArray();
    }

    /** {@code logits[:, 1]}, the raw match logit. */
    public static float[] matchLogits(NDArray logits) {
        return logits.get(":, 1").toFloatArray();
    }
}
