package dev.blip4j.models.vqa;

/**
 * One entry of an {@link AnswerList} as ranked for a question.
 *
 * @param answer the entry's text
 * @param index its position in the answer list (what the official {@code rank_answer} returns)
 * @param score minus the label-smoothed (0.1) cross-entropy of the answer's tokens, summed
 *     ({@code log_probs_sum} in the official code); larger is better
 * @param probability {@code exp(score)} normalised over the candidates that were scored (the
 *     top-k by first-token probability): see {@link AnswerRanking#probabilities()}
 */
public record RankedAnswer(String answer, int index, double score, double probability) {}
