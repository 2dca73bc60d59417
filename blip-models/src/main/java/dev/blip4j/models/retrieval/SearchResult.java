package dev.blip4j.models.retrieval;

import java.util.List;

/**
 * @param hits best first
 * @param problems candidates that could not be re-ranked and why; they stay in the results,
 *     ranked by ITC below the re-ranked ones
 */
public record SearchResult(List<SearchHit> hits, List<String> problems) {

    public SearchResult {
        hits = List.copyOf(hits);
        problems = List.copyOf(problems);
    }
}
