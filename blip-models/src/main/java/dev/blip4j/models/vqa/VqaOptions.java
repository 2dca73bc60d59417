package dev.blip4j.models.vqa;

import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;

/**
 * How to answer. Defaults are the official code's: generation by beam search with 3 beams, max
 * length 10 and min length 1 (hard-coded in {@code BLIP_VQA.forward(inference='generate')}, lengths
 * counting {@code [DEC]}), and ranking with k = 128 candidates ({@code k_test} of
 * {@code configs/vqa.yaml}).
 *
 * @param generation decoding of generated answers; every option of captioning applies
 * @param candidates k, how many answers of the list rank mode scores in full (capped at the list
 *     size, as LAVIS does)
 * @param batchSize image-question pairs per forward pass
 */
public record VqaOptions(GenerationConfig generation, int candidates, int batchSize) {

    public static final int DEFAULT_CANDIDATES = 128;

    public VqaOptions {
        if (generation == null) {
            throw new InputException("VQA options need a generation configuration");
        }
        if (candidates < 1) {
            throw new InputException("the number of rank candidates k must be at least 1, got " + candidates);
        }
        if (batchSize < 1) {
            throw new InputException("batch size must be at least 1, got " + batchSize);
        }
    }

    /** Beam 3, max length 10, min length 1, k = 128, 8 pairs per pass. */
    public static VqaOptions defaults() {
        return new VqaOptions(defaultGeneration(), DEFAULT_CANDIDATES, 8);
    }

    /** The official VQA decoding: beam 3, max length 10, min length 1. */
    public static GenerationConfig defaultGeneration() {
        return GenerationConfig.defaults().withNumBeams(3).withLengths(1, 10);
    }

    public VqaOptions withGeneration(GenerationConfig g) {
        return new VqaOptions(g, candidates, batchSize);
    }

    public VqaOptions withCandidates(int k) {
        return new VqaOptions(generation, k, batchSize);
    }

    public VqaOptions withBatchSize(int size) {
        return new VqaOptions(generation, candidates, size);
    }
}
