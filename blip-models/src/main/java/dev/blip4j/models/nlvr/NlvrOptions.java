package dev.blip4j.models.nlvr;

import dev.blip4j.core.InputException;

/**
 * How {@link NlvrClassifier} batches.
 *
 * @param imageBatchSize images per ViT pass
 * @param textBatchSize (pair, sentence) rows per text-encoder pass, padded to the longest of them
 */
public record NlvrOptions(int imageBatchSize, int textBatchSize) {

    public NlvrOptions {
        if (imageBatchSize < 1 || textBatchSize < 1) {
            throw new InputException("batch sizes must be at least 1, got images " + imageBatchSize + ", texts "
                    + textBatchSize);
        }
    }

    public static NlvrOptions defaults() {
        return new NlvrOptions(8, 64);
    }
}
