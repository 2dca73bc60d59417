package dev.blip4j.models.text;

import java.util.Arrays;

/**
 * The token ids of one text: {@code [CLS]}, the WordPiece ids, {@code [SEP]} (as transformers'
 * {@code tokenizer(text, truncation=True, max_length=N).input_ids}). Immutable: the array is
 * copied on the way in and on the way out.
 *
 * @param ids the token ids
 */
public record Encoding(long[] ids) {

    public Encoding {
        if (ids == null) {
            throw new IllegalArgumentException("ids is null");
        }
        ids = ids.clone();
    }

    /** The token ids (a copy). */
    @Override
    public long[] ids() {
        return ids.clone();
    }

    /** The number of tokens, special tokens included. */
    public int length() {
        return ids.length;
    }

    /** The attention mask: all ones, as there is no padding in a single encoding. */
    public long[] attentionMask() {
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1L);
        return mask;
    }

    /**
     * This encoding with its first id replaced, as BLIP does to put {@code [ENC]} or {@code [DEC]}
     * in place of {@code [CLS]}. Take the id from the tokenizer ({@link BlipTokenizer#encId()},
     * {@link BlipTokenizer#decId()}).
     *
     * @throws IllegalStateException if the encoding is empty
     */
    public Encoding withFirstToken(long id) {
        if (ids.length == 0) {
            throw new IllegalStateException("cannot replace the first token of an empty encoding");
        }
        long[] copy = ids.clone();
        copy[0] = id;
        return new Encoding(copy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Encoding other && Arrays.equals(ids, other.ids);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return "Encoding" + Arrays.toString(ids);
    }
}
