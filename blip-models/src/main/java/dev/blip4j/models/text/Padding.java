package dev.blip4j.models.text;

/**
 * How {@link BlipTokenizer#encodeBatch} pads a batch; padding goes on the right with the
 * tokenizer's {@code [PAD]} id and attention mask 0. The names follow transformers'
 * {@code padding=} argument.
 */
public enum Padding {
    /** No padding: each row keeps its own length (a ragged batch). */
    NONE,
    /** Pad every row to the longest row of the batch ({@code padding='longest'}). */
    LONGEST,
    /** Pad every row to the {@code maxLength} of the call ({@code padding='max_length'}). */
    MAX_LENGTH
}
