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
 * <p>BLIP-2 ({@code Blip2Qformer.extract_features(mode='image')}): {@code states} are the ViT's tokens
 * after {@code ln_vision}; {@code queries} are the Q-Former's query outputs (LAVIS's
 * {@code image_embeds} there) and {@code queryEmbeddings} their normalised {@code vision_proj}
 * ({@code image_embeds_proj}), the image's Q ITC vectors; {@code embedding} and
 * {@code tokenEmbeddings} are null.
 *
 * @param states ViT output, [tokens, width] row-major, token 0 is {@code [CLS]}
 * @param tokens 1 + number of patches
 * @param width ViT width
 * @param embedding normalised ITC projection of {@code [CLS]}, [embedDim]; null when the checkpoint
 *     has no {@code vision_proj} (BLIP_Base, captioning, VQA), and for BLIP-2
 * @param tokenEmbeddings normalised projection of every token, [tokens, embedDim]; null likewise
 * @param queries BLIP-2's query outputs [queryCount, hidden], null for BLIP
 * @param queryCount BLIP-2's learned queries, 0 for BLIP
 * @param queryEmbeddings BLIP-2's normalised query projections [queryCount, embedDim], null for BLIP
 */
public record ImageFeatures(float[] states, int tokens, int width, float[] embedding, float[] tokenEmbeddings,
        float[] queries, int queryCount, float[] queryEmbeddings) {

    public ImageFeatures {
        if (states.length != tokens * width) {
            throw new IllegalArgumentException(tokens + "x" + width + " states need " + tokens * width
                    + " values, got " + states.length);
        }
        if ((queries == null) != (queryCount == 0) || (queries == null) != (queryEmbeddings == null)) {
            throw new IllegalArgumentException("queries, their count and embeddings go together");
        }
    }

    /** A BLIP image's features. */
    public ImageFeatures(float[] states, int tokens, int width, float[] embedding, float[] tokenEmbeddings) {
        this(states, tokens, width, embedding, tokenEmbeddings, null, 0, null);
    }

    /** ITC projection width, 0 without projections. */
    public int embedDim() {
        return queryEmbeddings != null ? queryEmbeddings.length / queryCount : embedding == null ? 0 : embedding.length;
    }

    @Override
    public String toString() {
        return "ImageFeatures[states=" + ArrayText.of(states) + ", tokens=" + tokens + ", width=" + width
                + ", embedding=" + ArrayText.of(embedding) + ", tokenEmbeddings=" + ArrayText.of(tokenEmbeddings)
                + ", queries=" + ArrayText.of(queries) + ", queryCount=" + queryCount + ", queryEmbeddings="
                + ArrayText.of(queryEmbeddings) + "]";
    }
}
