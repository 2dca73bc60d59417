package dev.blip4j.core.generate;

/**
 * What a search needs from a language model, and nothing more: logits for the next token of every
 * row, and a way to follow beams. The BLIP decoder implements it with a key/value cache; a test can
 * implement it with a table.
 */
public interface NextTokenModel {

    /**
     * Feeds the new tokens of every row (the whole prompt on the first call, then one token) and
     * returns the logits of the token that follows.
     *
     * @param tokens [rows][t], the same t for every row
     * @return [rows][vocab]
     */
    float[][] next(long[][] tokens);

    /** Row i of the model's state becomes the old row {@code from[i]}. */
    void reorder(int[] from);

    /** The size of the logits {@link #next} returns, or 0 when not known in advance. */
    default int vocabSize() {
        return 0;
    }
}
