/**
 * Retrieval: a persistent, resumable, incremental index of image embeddings
 * ({@link dev.blip4j.models.retrieval.GalleryIndexer}, {@link dev.blip4j.models.retrieval.GalleryIndex}),
 * text-to-image and image-to-image search over it ({@link dev.blip4j.models.retrieval.ImageRetriever}),
 * image-to-text search over a list of texts ({@link dev.blip4j.models.retrieval.TextRetriever}), and the
 * official evaluation: score matrices ({@link dev.blip4j.models.retrieval.RetrievalEvaluator}) and
 * recall at 1/5/10 ({@link dev.blip4j.models.retrieval.RecallAtK}).
 *
 * <p>Ranking is by ITC cosine; with re-ranking the best {@code k_test} candidates are re-scored with the
 * official evaluation score, the raw ITM logit of "match" plus the ITC cosine, {@code [ENC]} first.
 */
package dev.blip4j.models.retrieval;
