package dev.blip4j.models.retrieval;

import dev.blip4j.core.InputException;

/**
 * How {@link GalleryIndexer} builds.
 *
 * @param batchSize images per ViT pass
 * @param chunkSize images per committed chunk: each chunk becomes one embeddings shard and one
 *     manifest update, so an interrupted build loses at most one chunk's work
 * @param keepImageTokens also store every newly indexed image's full token states, so that ITM
 *     re-ranking reads them instead of decoding and encoding the image file again. Costs
 *     tokens x width x 4 bytes per image: 577 x 768 x 4 = 1.7 MB at 384 px with ViT-B (2.3 MB with
 *     ViT-L's 1024), against 1 KB for the 256-wide embedding alone
 */
public record IndexOptions(int batchSize, int chunkSize, boolean keepImageTokens) {

    public IndexOptions {
        if (batchSize < 1 || chunkSize < 1) {
            throw new InputException("batch and chunk sizes must be at least 1, got " + batchSize + " and " + chunkSize);
        }
    }

    /** 8 images per pass, 256 per chunk, embeddings only. */
    public static IndexOptions defaults() {
        return new IndexOptions(8, 256, false);
    }

    public IndexOptions withBatchSize(int n) {
        return new IndexOptions(n, chunkSize, keepImageTokens);
    }

    public IndexOptions withChunkSize(int n) {
        return new IndexOptions(batchSize, n, keepImageTokens);
    }

    public IndexOptions withKeepImageTokens(boolean keep) {
        return new IndexOptions(batchSize, chunkSize, keep);
    }
}
