package dev.blip4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/** Rows of a batch, picked by position: how batched tasks gather and split their work. */
public final class Rows {

    private Rows() {}

    /** Rows {@code [from, to)} of {@code array} [B, ...], owned by {@code manager}. */
    public static NDArray slice(NDArray array, int from, int to, NDManager manager) {
        NDArray out = array.get(new NDIndex("{}:{}", from, to));
        out.attach(manager);
        return out;
    }

    /** Rows {@code rows} of {@code array} [B, ...] in that order, repeats allowed, owned by {@code manager}. */
    public static NDArray take(NDArray array, int[] rows, NDManager manager) {
        long[] index = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            index[i] = rows[i];
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray out = array.get(new NDIndex("{}", scratch.create(index)));
            out.attach(manager);
            return out;
        }
    }

    /** Rows {@code rows} of a rectangular matrix (token ids, masks) as a [rows, width] array in {@code manager}. */
    public static NDArray take(long[][] matrix, int[] rows, NDManager manager) {
        int width = matrix[0].length;
        long[] flat = new long[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(matrix[rows[r]], 0, flat, r * width, width);
        }
        return manager.create(flat, new Shape(rows.length, width));
    }
}
