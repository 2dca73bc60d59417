package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Mlp;
import java.util.List;

/**
 * One layer of BLIP's MED, used in all three {@link MedMode}s: self-attention, then
 * cross-attention to the image when the mode asks for it, then the feed-forward block. Encoder
 * and decoder layers differ only in their weights, never in code.
 *
 * @param crossAttention null in a text-only stack
 */
public record BertLayer(BertAttention selfAttention, BertAttention crossAttention, Mlp ffn, LayerNorm ffnNorm) {

    /**
     * @param x [R, T, H]
     * @param self per run of rows (one run for a batch), the keys and values of every position those
     *     rows may attend to (cached prefix included) and the self-attention mask (padding, causality)
     * @param other per run of rows, the image (or question) side of cross-attention; used when
     *     {@code mode.crossAttends()}
     */
    NDArray forward(NDArray x, List<AttendedKeys> self, MedMode mode, List<AttendedKeys> other) {
        x = selfAttention.forward(x, self);
        if (mode.crossAttends()) {
            x = crossAttention.forward(x, other);
        }
        return ffnNorm.apply(x.add(ffn.apply(x)));
    }
}
