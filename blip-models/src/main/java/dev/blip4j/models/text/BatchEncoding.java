package dev.blip4j.models.text;

import java.util.Arrays;

/**
 * The token ids and attention masks of a batch of texts, padded on the right with {@code [PAD]}
 * (mask 0) as the {@link Padding} of the call asked; with {@link Padding#NONE} the rows keep their
 * own lengths. Immutable: arrays are copied on the way in and on the way out.
 *
 * @param ids one row of token ids per text
 * @param attentionMask 1 for a real token, 0 for padding; same shape as {@code ids}
 */
public record BatchEncoding(long[][] ids, long[][] attentionMask) {

    public BatchEncoding {
        if (ids == null || attentionMask == null) {
            throw new IllegalArgumentException("ids and attentionMask must not be null");
        }
        if (ids.length != attentionMask.length) {
            throw new IllegalArgumentException("ids has " + ids.length + " rows but attentionMask has "
                    + attentionMask.length);
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == null || attentionMask[i] == null || ids[i].length != attentionMask[i].length) {
                throw new IllegalArgumentException("row " + i + ": ids and attentionMask differ in length");
            }
        }
        ids = deepCopy(ids);
        attentionMask = deepCopy(attentionMask);
    }

    /** The token ids, one row per text (a copy). */
    @Override
    public long[][] ids() {
        return deepCopy(ids);
    }

    /** The attention masks, one row per text (a copy). */
    @Override
    public long[][] attentionMask() {
        return deepCopy(attentionMask);
    }

    /** The number of texts. */
    public int size() {
        return ids.length;
    }

    /** Whether every row has the same length (always so unless the batch was not padded). */
    public boolean isRectangular() {
        for (long[] row : ids) {
            if (row.length != ids[0].length) {
                return false;
            }
        }
        return true;
    }

    /**
     * The common row length, e.g. 35 for {@code padding='max_length', max_length=35}.
     *
     * @throws IllegalStateException if the rows differ in length
     */
    public int width() {
        requireRectangular();
        return ids.length == 0 ? 0 : ids[0].length;
    }

    /** The number of real (unpadded) tokens of each row. */
    public int[] lengths() {
        int[] lengths = new int[attentionMask.length];
        for (int i = 0; i < attentionMask.length; i++) {
            for (long m : attentionMask[i]) {
                lengths[i] += m != 0 ? 1 : 0;
            }
        }
        return lengths;
    }

    /** Row {@code i} without its padding. */
    public Encoding row(int i) {
        int length = 0;
        for (long m : attentionMask[i]) {
            length += m != 0 ? 1 : 0;
        }
        return new Encoding(Arrays.copyOf(ids[i], length));
    }

    /** The ids in row-major order, for a {@code [size, width]} tensor. */
    public long[] flatIds() {
        return flatten(ids);
    }

    /** The attention mask in row-major order, for a {@code [size, width]} tensor. */
    public long[] flatAttentionMask() {
        return flatten(attentionMask);
    }

    /**
     * This batch with the first id of every row replaced, as BLIP does to put {@code [ENC]} or
     * {@code [DEC]} in place of {@code [CLS]} ({@code input_ids[:, 0] = tokenizer.enc_token_id}).
     * Take the id from the tokenizer ({@link BlipTokenizer#encId()}, {@link BlipTokenizer#decId()}).
     *
     * @throws IllegalStateException if a row is empty
     */
    public BatchEncoding withFirstToken(long id) {
        long[][] copy = deepCopy(ids);
        for (int i = 0; i < copy.length; i++) {
            if (copy[i].length == 0) {
                throw new IllegalStateException("cannot replace the first token of empty row " + i);
            }
            copy[i][0] = id;
        }
        return new BatchEncoding(copy, attentionMask);
    }

    private void requireRectangular() {
        if (!isRectangular()) {
            throw new IllegalStateException("the rows differ in length (the batch was encoded with Padding.NONE)");
        }
    }

    private long[] flatten(long[][] rows) {
        int width = width();
        long[] flat = new long[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * width, width);
        }
        return flat;
    }

    private static long[][] deepCopy(long[][] rows) {
        long[][] copy = new long[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            copy[i] = rows[i].clone();
        }
        return copy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchEncoding other
                && Arrays.deepEquals(ids, other.ids)
                && Arrays.deepEquals(attentionMask, other.attentionMask);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.deepHashCode(ids) + Arrays.deepHashCode(attentionMask);
    }

    @Override
    public String toString() {
        return "BatchEncoding[ids=" + Arrays.deepToString(ids) + ", attentionMask="
                + Arrays.deepToString(attentionMask) + "]";
    }
}
