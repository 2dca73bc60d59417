package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.blip4j.core.nn.LayerNorm;

/**
 * Word plus absolute position embeddings, then LayerNorm. BLIP's BERT has no token-type embeddings.
 *
 * @param words [vocab, hidden]
 * @param positions [maxPositions, hidden]
 */
public record TextEmbeddings(NDArray words, NDArray positions, LayerNorm norm) {

    /**
     * @param ids [B, T] token ids
     * @param start position of the first token (the length of the cached prefix when decoding)
     */
    public NDArray forward(NDArray ids, int start) {
        long length = ids.getShape().get(1);
        return forward(ids, ids.getManager().arange(start, start + (int) length, 1, DataType.INT64));
    }

    /**
     * @param ids [B, T] token ids
     * @param positionIds [T], or [B, T] when rows start at different positions (rows of several
     *     decoding calls stepped together)
     */
    public NDArray forward(NDArray ids, NDArray positionIds) {
        NDArray x = Embedding.embedding(ids, words, SparseFormat.DENSE).singletonOrThrow();
        x = x.addi(Embedding.embedding(positionIds, positions, SparseFormat.DENSE).singletonOrThrow());
        return norm.apply(x);
    }
}
