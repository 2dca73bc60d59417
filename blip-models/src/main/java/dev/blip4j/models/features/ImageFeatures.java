package dev.blip4j.models.features;

import dev.blip4j.core.ArrayText;

/**
 * One image's features. Arrays are not copied (a 384 px image has 577 x 768 states): treat them
 * as read-only.
 *
 * <p>Names in the official code: {@code states} is {@code BLIP_Base.forward(image, caption,
 * mode='image')}, {@code visual_encoder(image)} (called {@code image_embeds} in the models and LAVIS
 * {@code extract_features}, {@code image_feat} in {@code train_retrieval.py evaluation()});
 * {@code embedding} is the ITC feature {@code F.normalize(vision_proj(image_embeds[:,0,:]))}
 * ({@code image_feat} in the models, {@code image_embed} in {@code evaluation()}, LAVIS
 * {@code image_embeds_proj[:,0,:]}); {@code tokenEmbeddings} is LAVIS {@code image_embeds_proj}, the
 * normalised projection of every token.
 *
 * @param states ViT output, [tokens, width] row-major, token 0 is {@code [CLS]}
 * @param tokens 1 + number of patches
 * @param width ViT width
 * @param embedding normalised ITC projection of {@code [CLS]}, [embedDim]; null when the checkpoint
 *     has no {@code vision_proj} (BLIP_Base, captioning, VQA)
 * @param tokenEmbeddings normalised projection of every token, [tokens, embedDim]; null likewise
 */
public record ImageFeatures(float[] states, int tokens, int width, float[] embedding, float[] tokenEmbeddings) {

    public ImageFeatures {
        if (states.length != tokens * width) {
            throw new IllegalArgumentException(tokens + "x" + width + " states need " + tokens * width
                    + " values, got " + states.length);
        }
    }

    /** ITC projection width, 0 without projections. */
    public int embedDim() {
        return embedding == null ? 0 : embedding.length;
    }

    @Override
    public String toString() {
        return "ImageFeatures[states=" + ArrayText.of(states) + ", tokens=" + tokens + ", width=" + width
                + ", embedding=" + ArrayText.of(embedding) + ", tokenEmbeddings=" + ArrayText.of(tokenEmbeddings) + "]";
    }
}
