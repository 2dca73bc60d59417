package dev.blip4j.models.retrieval;

/**
 * One search result.
 *
 * @param rank 1 for the best
 * @param path the image file (text-to-image and image-to-image search), else null
 * @param text the text (image-to-text search), else null
 * @param index position in the gallery: index order, or the text list's order
 * @param score what the ranking used: {@code itmLogit + itc} (the official evaluation score) when
 *     re-ranked, else {@code itc}. Re-ranked hits always come before the others, whatever their scores
 * @param itc ITC cosine similarity
 * @param itm ITM match probability, null when not re-ranked
 * @param itmLogit raw ITM logit of "match", null when not re-ranked
 * @param error why this candidate could not be re-ranked (e.g. its file is gone), else null
 */
public record SearchHit(int rank, String path, String text, int index, double score, double itc, Double itm,
        Double itmLogit, String error) {

    public boolean reranked() {
        return itm != null;
    }
}
