package dev.blip4j.models.retrieval;

import dev.blip4j.core.InputException;
import dev.blip4j.models.matching.FirstToken;

/**
 * How to search.
 *
 * @param k hits to return
 * @param rerank {@code k_test}: re-rank this many best ITC candidates with the official evaluation
 *     score, ITM logit of "match" plus ITC cosine; 0 (default) ranks by ITC alone. The official
 *     evaluation uses 256 (COCO) or 128 (Flickr30k)
 * @param firstToken first token of the image-grounded text when re-ranking; default
 *     {@link FirstToken#ENC}, as the retrieval model was trained and evaluated
 * @param batchSize images per ViT pass, and image-text pairs per ITM pass, when re-ranking
 */
public record SearchOptions(int k, int rerank, FirstToken firstToken, int batchSize) {

    public SearchOptions {
        if (k < 1) {
            throw new InputException("k must be at least 1, got " + k);
        }
        if (rerank < 0) {
            throw new InputException("the number of candidates to re-rank must be 0 or more, got " + rerank);
        }
        if (firstToken == null) {
            throw new InputException("the first token must be ENC or CLS, not null");
        }
        if (batchSize < 1) {
            throw new InputException("batch size must be at least 1, got " + batchSize);
        }
    }

    /** Top 10 by ITC, no re-ranking. */
    public static SearchOptions defaults() {
        return new SearchOptions(10, 0, FirstToken.ENC, 8);
    }

    public SearchOptions withK(int n) {
        return new SearchOptions(n, rerank, firstToken, batchSize);
    }

    public SearchOptions withRerank(int kTest) {
        return new SearchOptions(k, kTest, firstToken, batchSize);
    }

    public SearchOptions withFirstToken(FirstToken t) {
        return new SearchOptions(k, rerank, t, batchSize);
    }

    public SearchOptions withBatchSize(int n) {
        return new SearchOptions(k, rerank, firstToken, n);
    }
}
