package dev.blip4j.models.matching;

/**
 * How well one text matches one image.
 *
 * @param text the text as given (before truncation to {@link MatchingText#MAX_LENGTH} tokens)
 * @param itm ITM probability that the pair matches: {@code softmax(itm_head(...))[1]}, in [0, 1]
 * @param itc ITC cosine similarity of the projected, L2-normalised image and text features, in
 *     [-1, 1]; not divided by the learnt temperature; NaN when {@link MatchOptions#itc()} is off
 */
public record Match(String text, double itm, double itc) {}
