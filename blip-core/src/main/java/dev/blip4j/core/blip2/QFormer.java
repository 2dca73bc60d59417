package dev.blip4j.core.blip2;

import ai.djl.ndarray.NDArray;
import dev.blip4j.core.text.BertLayer;
import dev.blip4j.core.text.TextTransformer;
import java.util.ArrayList;
import java.util.List;

/**
 * BLIP-2's Querying Transformer: a BERT stack whose learned queries are put in front of the text.
 * Each layer has a feed-forward for the query positions and, every {@code cross_attention_freq}-th,
 * cross-attention from the queries to the frozen ViT's tokens.
 *
 * @param bert embeddings and layers ({@code Qformer.bert})
 * @param queryTokens [1, Q, H] the learned queries ({@code query_tokens})
 */
public record QFormer(TextTransformer bert, NDArray queryTokens) {

    /** Number of learned queries. */
    public int queries() {
        return (int) queryTokens.getShape().get(1);
    }

    /** Indices of the layers with cross-attention. */
    public List<Integer> crossAttentionLayers() {
        List<Integer> out = new ArrayList<>();
        List<BertLayer> layers = bert.layers();
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).crossAttention() != null) {
                out.add(i);
            }
        }
        return out;
    }

    /**
     * @param ids [B, T] token ids ({@code [CLS]} first), unless the mode has no text
     * @param mask [B, T] attention mask, or null when nothing is padded
     * @param image [S, N, W] image tokens in the weights' type, unless the mode has no queries; each
     *     row serves B / S consecutive rows (B = S without text)
     * @return [B, Q + T, H]: the queries' states, then the text's (either part absent by mode)
     */
    public NDArray forward(QueryMode mode, NDArray ids, NDArray mask, NDArray image) {
        if (!mode.queries()) {
            return bert.forward(ids, mask, mode.med(), null, null);
        }
        NDArray input = mode.text() ? ids : image;
        NDArray queries = queryTokens.repeat(0, input.getShape().get(0));
        // The queries are weights: what is computed from them belongs to the call's manager, as
        // everything else the call makes, not to the weights' long-lived one.
        queries.attach(input.getManager());
        return bert.forward(queries, mode.text() ? ids : null, mask, mode.med(), image, null);
    }
}
