package dev.blip4j.models.features;

import dev.blip4j.core.ArrayText;

/**
 * One text's image-grounded features against one image: {@code BLIP_Base.forward(image, caption,
 * mode='multimodal')} (LAVIS {@code multimodal_embeds}): the text encoder with the first id replaced
 * by {@code [ENC]}, cross-attending to every image token. Position 0 is what the ITM head reads.
 * Arrays are not copied: treat them as read-only.
 *
 * <p>BLIP-2 ({@code Blip2Qformer.extract_features(mode='multimodal')}): the Q-Former's learned
 * queries run with the text ({@code [CLS]} first) and cross-attend to the image; {@code states} are
 * the query positions' outputs, [queries, hidden], what the ITM head reads.
 *
 * @param text the text as given
 * @param ids the token ids fed, {@code [ENC]} (BLIP) or {@code [CLS]} (BLIP-2) first, then padding
 *     if padding was asked for
 * @param length real tokens
 * @param states [ids.length, hidden] row-major, or BLIP-2's [queries, hidden]
 * @param hidden text width
 * @param queries BLIP-2's learned queries, whose states these are; 0 for BLIP
 */
public record MultimodalFeatures(String text, long[] ids, int length, float[] states, int hidden, int queries) {

    public MultimodalFeatures {
        int rows = queries > 0 ? queries : ids.length;
        if (states.length != rows * hidden) {
            throw new IllegalArgumentException(rows + "x" + hidden + " states need " + rows * hidden
                    + " values, got " + states.length);
        }
    }

    /** A BLIP text's: one state per token. */
    public MultimodalFeatures(String text, long[] ids, int length, float[] states, int hidden) {
        this(text, ids, length, states, hidden, 0);
    }

    @Override
    public String toString() {
        return "MultimodalFeatures[text=" + text + ", ids=" + ArrayText.of(ids) + ", length=" + length + ", states="
                + ArrayText.of(states) + ", hidden=" + hidden + ", queries=" + queries + "]";
    }
}
