package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Mlp;
import java.util.List;

/**
 * One layer of BLIP's MED, used in all three {@link MedMode}s: self-attention, then
 * cross-attention to the image when the mode asks for it, then the feed-forward block. Encoder
 * and decoder layers differ only in their weights, never in code; NLVR2's layers only in having
 * a twinned {@link CrossAttention}.
 *
 * <p>BLIP-2's Q-Former is the same layer with learned queries in front of the text: only the
 * queries cross-attend to the image, and they have a feed-forward of their own.
 *
 * @param crossAttention null in a text-only stack, and in the Q-Former layers without it
 * @param queryFfn the Q-Former's feed-forward for query positions ({@code intermediate_query},
 *     {@code output_query}), null in BLIP
 */
public record BertLayer(BertAttention selfAttention, CrossAttention crossAttention, Mlp ffn, LayerNorm ffnNorm,
        Mlp queryFfn, LayerNorm queryFfnNorm) {

    /** A BLIP layer: one cross-attention block (or none), no query positions. */
    public BertLayer(BertAttention selfAttention, BertAttention crossAttention, Mlp ffn, LayerNorm ffnNorm) {
        this(selfAttention, crossAttention == null ? null : CrossAttention.single(crossAttention), ffn, ffnNorm,
                null, null);
    }

    /**
     * @param x [R, T, H]
     * @param self per run of rows (one run for a batch), the keys and values of every position those
     *     rows may attend to (cached prefix included) and the self-attention mask (padding, causality)
     * @param other per run of rows, the image (or question) side of cross-attention, one entry per
     *     attention block (two for NLVR2); used when {@code mode.crossAttends()}
     */
    NDArray forward(NDArray x, List<AttendedKeys> self, MedMode mode, List<List<AttendedKeys>> other) {
        return forward(x, self, mode, other, 0);
    }

    /** @param queries leading positions of {@code x} that are Q-Former queries, 0 for BLIP */
    NDArray forward(NDArray x, List<AttendedKeys> self, MedMode mode, List<List<AttendedKeys>> other, int queries) {
        x = selfAttention.forward(x, self);
        if (queries == 0) {
            return feedForward(crossAttend(x, mode, other), ffn, ffnNorm);
        }
        NDArray q = feedForward(crossAttend(x.get(":, :{}", queries), mode, other), queryFfn, queryFfnNorm);
        return queries == x.getShape().get(1) ? q : q.concat(feedForward(x.get(":, {}:", queries), ffn, ffnNorm), 1);
    }

    private NDArray crossAttend(NDArray x, MedMode mode, List<List<AttendedKeys>> other) {
        return mode.crossAttends() && crossAttention != null ? crossAttention.forward(x, other) : x;
    }

    private static NDArray feedForward(NDArray x, Mlp ffn, LayerNorm norm) {
        return norm.apply(x.add(ffn.apply(x)));
    }
}
