package dev.blip4j.models.matching;

import ai.djl.ndarray.NDArray;
import dev.blip4j.core.Blip;
import dev.blip4j.core.text.MedMode;
import dev.blip4j.core.text.CrossKeyValues;

/**
 * The image-grounded encoder and ITM head over arrays, shared by matching, retrieval re-ranking
 * and evaluation. Results live in the manager of the text ids.
 */
public final class ItmScoring {

    private ItmScoring() {}

    /**
     * ITM logits [T, 2] of many texts against one image: the image's cross-attention keys and values
     * are computed once and shared by every text row (the same numbers as repeating the image T
     * times, as the official code does, without the copies).
     *
     * @param image [1, N, W] image tokens
     * @param ids [T, L] token ids, first token already {@code [ENC]} or {@code [CLS]}
     * @param mask [T, L] attention mask
     */
    public static NDArray oneImage(Blip net, NDArray image, NDArray ids, NDArray mask) {
        return net.itmLogits(groundedStates(net, image, ids, mask));
    }

    /**
     * Image-grounded text states [T, L, H] of many texts against one image [1, N, W], the image's
     * cross-attention keys and values computed once for all rows.
     */
    public static NDArray groundedStates(Blip net, NDArray image, NDArray ids, NDArray mask) {
        int rows = Math.toIntExact(ids.getShape().get(0));
        try (CrossKeyValues memory = CrossKeyValues.of(net.encoder(), image, null, rows)) {
            return net.encoder().forward(ids, mask, MedMode.MULTIMODAL, memory);
        }
    }

    /**
     * ITM logits [R, 2] of row-wise pairs: text row r against image row r.
     *
     * @param images [R, N, W] image tokens
     */
    public static NDArray pairs(Blip net, NDArray images, NDArray ids, NDArray mask) {
        return net.itmLogits(net.encodeMultimodal(ids, mask, images, null));
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
