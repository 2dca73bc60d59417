package dev.blip4j.models.matching;

import java.util.ArrayList;
import java.util.List;

/**
 * Every image against every text.
 *
 * @param texts the texts, in column order
 * @param itm ITM match probabilities, images by texts
 * @param itmLogits the raw ITM logit of class 1 ("match"), images by texts: what the official
 *     retrieval evaluation adds to the ITC similarity
 * @param itc ITC cosine similarities, images by texts
 */
public record MatchMatrix(List<String> texts, ScoreMatrix itm, ScoreMatrix itmLogits, ScoreMatrix itc) {

    public MatchMatrix {
        texts = List.copyOf(texts);
    }

    public int images() {
        return itm.rows();
    }

    /** Image {@code i}'s matches, in text order. */
    public List<Match> matches(int image) {
        List<Match> out = new ArrayList<>(texts.size());
        for (int j = 0; j < texts.size(); j++) {
            out.add(new Match(texts.get(j), itm.get(image, j), itc.get(image, j)));
        }
        return out;
    }
}
