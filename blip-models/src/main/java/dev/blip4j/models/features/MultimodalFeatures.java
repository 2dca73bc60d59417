package dev.blip4j.models.features;

import dev.blip4j.core.ArrayText;

/**
 * One text's image-grounded features against one image: {@code BLIP_Base.forward(image, caption,
 * mode='multimodal')} (LAVIS {@code multimodal_embeds}): the text encoder with the first id replaced
 * by {@code [ENC]}, cross-attending to every image token. Position 0 is what the ITM head reads.
 * Arrays are not copied: treat them as read-only.
 *
 * @param text the text as given
 * @param ids the token ids fed, {@code [ENC]} first, then padding if padding was asked for
 * @param length real tokens
 * @param states [ids.length, hidden] row-major
 * @param hidden text width
 */
public record MultimodalFeatures(String text, long[] ids, int length, float[] states, int hidden) {

    public MultimodalFeatures {
        if (states.length != ids.length * hidden) {
            throw new IllegalArgumentException(ids.length + "x" + hidden + " states need " + ids.length * hidden
                    + " values, got " + states.length);
        }
    }

    @Override
    public String toString() {
        return "MultimodalFeatures[text=" + text + ", ids=" + ArrayText.of(ids) + ", length=" + length + ", states="
                + ArrayText.of(states) + ", hidden=" + hidden + "]";
    }
}
