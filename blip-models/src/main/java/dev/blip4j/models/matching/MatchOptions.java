package dev.blip4j.models.matching;

import dev.blip4j.core.InputException;

/**
 * How {@link ImageTextMatcher} scores.
 *
 * @param firstToken first token of the image-grounded text; default {@link FirstToken#CLS}, as the
 *     official {@code BLIP_ITM.forward(match_head='itm')} and HF (use {@link FirstToken#ENC} to score
 *     as {@code BLIP_Retrieval} was trained and evaluated)
 * @param imageBatchSize images per ViT pass
 * @param textBatchSize texts per text-encoder pass; all texts of one image up to this many share a
 *     single image-grounded pass (the official evaluation uses 256)
 * @param itc whether to compute ITC cosines too (default); without them each text skips the
 *     unimodal text encoder and {@link Match#itc()} is NaN, the work of the official
 *     {@code match_head='itm'} (HF: {@code use_itm_head=True})
 */
public record MatchOptions(FirstToken firstToken, int imageBatchSize, int textBatchSize, boolean itc) {

    public MatchOptions {
        if (firstToken == null) {
            throw new InputException("the first token must be ENC or CLS, not null");
        }
        if (imageBatchSize < 1 || textBatchSize < 1) {
            throw new InputException("batch sizes must be at least 1, got images " + imageBatchSize + ", texts "
                    + textBatchSize);
        }
    }

    public static MatchOptions defaults() {
        return new MatchOptions(FirstToken.CLS, 8, 256, true);
    }

    public MatchOptions withFirstToken(FirstToken t) {
        return new MatchOptions(t, imageBatchSize, textBatchSize, itc);
    }

    public MatchOptions withImageBatchSize(int n) {
        return new MatchOptions(firstToken, n, textBatchSize, itc);
    }

    public MatchOptions withTextBatchSize(int n) {
        return new MatchOptions(firstToken, imageBatchSize, n, itc);
    }

    public MatchOptions withItc(boolean on) {
        return new MatchOptions(firstToken, imageBatchSize, textBatchSize, on);
    }
}
