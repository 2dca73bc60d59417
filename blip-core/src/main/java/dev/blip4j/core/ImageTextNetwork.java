package dev.blip4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What image-text matching, ITC features and search need of a network: BLIP's ({@link Blip}) and
 * BLIP-2's first stage ({@link dev.blip4j.core.blip2.Blip2}) both are one. An image has Q ITC
 * embeddings, one per learned query in BLIP-2 and Q = 1 ({@code [CLS]}) in BLIP; its ITC score with a
 * text is the largest over them of the dot product, which for Q = 1 is BLIP's cosine. Every method
 * takes and returns float32 arrays.
 */
public interface ImageTextNetwork {

    /** A manager for one call's arrays: close it when the call is over. */
    NDManager newManager();

    /** Image states [B, N, W] of normalised pixels [B, 3, S, S]: what the other methods take as images. */
    NDArray encodeImage(NDArray pixels);

    /** ITC image embeddings [B, Q, D], each L2-normalised. */
    NDArray imageEmbeddings(NDArray imageStates);

    /** Unimodal text states [B, T, H], {@code [CLS]} first. */
    NDArray encodeText(NDArray ids, NDArray mask);

    /** ITC text embedding [B, D], L2-normalised, of unimodal text states. */
    NDArray textEmbedding(NDArray textStates);

    /**
     * ITM logits [T, 2] (index 1 = match) of texts against images.
     *
     * @param imageStates [T, N, W] one image per text, or [1, N, W] one image for every text
     * @param ids [T, L] token ids, first token as the model reads it
     * @param mask [T, L] attention mask
     */
    NDArray itmLogits(NDArray imageStates, NDArray ids, NDArray mask);

    /**
     * ITC scores [B, T]: for each image and text, the largest over the image's Q embeddings of the
     * dot product with the text's.
     *
     * @param imageEmbeddings [B, Q, D]
     * @param textEmbeddings [T, D]
     */
    static NDArray itc(NDArray imageEmbeddings, NDArray textEmbeddings) {
        return imageEmbeddings.matMul(textEmbeddings.transpose()).max(new int[] {1});
    }

    /** ITC scores [R] of row-wise pairs: image embeddings [R, Q, D] against text embeddings [R, D]. */
    static NDArray itcPairs(NDArray imageEmbeddings, NDArray textEmbeddings) {
        return imageEmbeddings.mul(textEmbeddings.expandDims(1)).sum(new int[] {2}).max(new int[] {1});
    }
}
