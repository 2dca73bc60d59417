package dev.blip4j.models.retrieval;

/**
 * ITC scores of stored, normalised embeddings in plain Java: a gallery's images against a text, or
 * texts against an image. Either side may have several vectors per item (BLIP-2's images have one
 * per learned query); the score of a pair is the largest dot product over their vectors, which for
 * BLIP's single vectors is the cosine.
 */
final class ItcScores {

    private ItcScores() {}

    /**
     * @param items [count, itemVectors, dim] row-major
     * @param query [queryVectors, dim] row-major
     * @return one score per item
     */
    static float[] best(float[] items, int itemVectors, float[] query, int dim) {
        int queryVectors = query.length / dim;
        float[] out = new float[items.length / (itemVectors * dim)];
        for (int i = 0; i < out.length; i++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < itemVectors; v++) {
                int base = (i * itemVectors + v) * dim;
                for (int u = 0; u < queryVectors; u++) {
                    double dot = 0;
                    for (int d = 0; d < dim; d++) {
                        dot += (double) items[base + d] * query[u * dim + d];
                    }
                    best = Math.max(best, (float) dot);
                }
            }
            out[i] = best;
        }
        return out;
    }
}
