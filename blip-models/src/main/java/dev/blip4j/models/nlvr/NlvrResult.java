package dev.blip4j.models.nlvr;

/**
 * The verdict on one sentence about a pair of images.
 *
 * @param text the sentence as given
 * @param probability that the sentence is true: {@code softmax(logits)[1]}
 * @param falseLogit {@code cls_head} logit 0
 * @param trueLogit {@code cls_head} logit 1
 * @param prediction true when the "true" logit wins, as {@code argmax} (a tie is false)
 */
public record NlvrResult(String text, double probability, double falseLogit, double trueLogit, boolean prediction) {}
