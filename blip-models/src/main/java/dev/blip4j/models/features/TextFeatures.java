package dev.blip4j.models.features;

import dev.blip4j.core.ArrayText;

/**
 * One text's unimodal features (the text encoder without cross-attention, first token
 * {@code [CLS]}). Arrays are not copied: treat them as read-only.
 *
 * <p>Names in the official code: {@code states} is {@code BLIP_Base.forward(image, caption,
 * mode='text')} ({@code text_encoder(..., mode='text').last_hidden_state}, LAVIS {@code text_embeds});
 * {@code embedding} is the ITC feature {@code F.normalize(text_proj(text_embeds[:,0,:]))}
 * ({@code text_feat} in the models, {@code text_embed} in {@code evaluation()}, LAVIS
 * {@code text_embeds_proj[:,0,:]}); {@code tokenEmbeddings} is LAVIS {@code text_embeds_proj}.
 *
 * @param text the text as given
 * @param ids the token ids fed: {@code [CLS] ... [SEP]}, then {@code [PAD]}s if padding was asked for
 * @param length real tokens, {@code [CLS]} and {@code [SEP]} included (the rest of {@code ids} is padding)
 * @param states [ids.length, hidden] row-major (pad positions included when padded, as the official
 *     encoder returns them)
 * @param hidden text width
 * @param embedding normalised ITC projection of the first token, [embedDim]; null without {@code text_proj}
 * @param tokenEmbeddings normalised projection of every position, [ids.length, embedDim]; null likewise
 */
public record TextFeatures(String text, long[] ids, int length, float[] states, int hidden, float[] embedding,
        float[] tokenEmbeddings) {

    public TextFeatures {
        if (states.length != ids.length * hidden) {
            throw new IllegalArgumentException(ids.length + "x" + hidden + " states need " + ids.length * hidden
                    + " values, got " + states.length);
        }
    }

    @Override
    public String toString() {
        return "TextFeatures[text=" + text + ", ids=" + ArrayText.of(ids) + ", length=" + length + ", states="
                + ArrayText.of(states) + ", hidden=" + hidden + ", embedding=" + ArrayText.of(embedding)
                + ", tokenEmbeddings=" + ArrayText.of(tokenEmbeddings) + "]";
    }
}
