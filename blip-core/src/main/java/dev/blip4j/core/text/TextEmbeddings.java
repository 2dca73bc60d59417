package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.blip4j.core.nn.LayerNorm;

/**
 * Word plus absolute position embeddings, then LayerNorm. BLIP's BERT has no token-type embeddings.
 * BLIP-2's Q-Former puts its learned queries in front of the text, without positions; the
 * LayerNorm then runs over both ({@code Qformer.py} {@code BertEmbeddings}).
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
        return forward(ids, positionIds(ids, start));
    }

    /**
     * @param ids [B, T] token ids
     * @param positionIds [T], or [B, T] when rows start at different positions (rows of several
     *     decoding calls stepped together)
     */
    public NDArray forward(NDArray ids, NDArray positionIds) {
        return norm.apply(tokens(ids, positionIds));
    }

    /**
     * @param queries [B, Q, H] learned query embeddings
     * @param ids [B, T] token ids after the queries (positions count from 0), or null for queries alone
     */
    public NDArray forwardWithQueries(NDArray queries, NDArray ids) {
        return norm.apply(ids == null ? queries : queries.concat(tokens(ids, positionIds(ids, 0)), 1));
    }

    private NDArray tokens(NDArray ids, NDArray positionIds) {
        NDArray x = Embedding.embedding(ids, words, SparseFormat.DENSE).singletonOrThrow();
        return x.addi(Embedding.embedding(positionIds, positions, SparseFormat.DENSE).singletonOrThrow());
    }

    private static NDArray positionIds(NDArray ids, int start) {
        return ids.getManager().arange(start, start + (int) ids.getShape().get(1), 1, DataType.INT64);
    }
}
