package dev.blip4j.models.matching;

import java.util.Arrays;

/**
 * A dense row-major matrix of scores (images by texts, or texts by images), as plain floats.
 *
 * @param rows number of rows
 * @param cols number of columns
 * @param values {@code rows * cols} scores, row after row (copied in and out)
 */
public record ScoreMatrix(int rows, int cols, float[] values) {

    public ScoreMatrix {
        if (rows < 0 || cols < 0 || values == null || values.length != (long) rows * cols) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix needs " + ((long) rows * cols)
                    + " values, got " + (values == null ? "null" : values.length));
        }
        values = values.clone();
    }

    /** The values, row-major (a copy). */
    @Override
    public float[] values() {
        return values.clone();
    }

    public float get(int row, int col) {
        return values[index(row, col)];
    }

    /** Row {@code row} (a copy). */
    public float[] row(int row) {
        int start = index(row, 0);
        return Arrays.copyOfRange(values, start, start + cols);
    }

    /** The transpose, e.g. texts by images from images by texts. */
    public ScoreMatrix transpose() {
        float[] t = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = values[r * cols + c];
            }
        }
        return new ScoreMatrix(cols, rows, t);
    }

    /**
     * The indices of the {@code k} largest values of a row, best first; equal values keep the lower
     * index first. {@code k} larger than the row gives the whole row.
     */
    public int[] topK(int row, int k) {
        return topK(row(row), k);
    }

    /**
     * As {@link #topK(int, int)} for any array, in O(n log k): a gallery of a million images is
     * ranked without sorting it. NaN counts as the smallest value.
     */
    public static int[] topK(float[] scores, int k) {
        int n = Math.max(0, Math.min(k, scores.length));
        if (n == 0) {
            return new int[0];
        }
        // a min-heap (worst of the kept at the root) of the n best indices seen so far
        int[] heap = new int[n];
        int size = 0;
        for (int i = 0; i < scores.length; i++) {
            if (size < n) {
                heap[size] = i;
                siftUp(heap, size++, scores);
            } else if (better(i, heap[0], scores)) {
                heap[0] = i;
                siftDown(heap, size, scores);
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = heap[i];
        }
        Arrays.sort(order, (a, b) -> better(a, b, scores) ? -1 : better(b, a, scores) ? 1 : 0);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /** Whether index a ranks before index b: larger score, then lower index. */
    private static boolean better(int a, int b, float[] s) {
        float x = Float.isNaN(s[a]) ? Float.NEGATIVE_INFINITY : s[a];
        float y = Float.isNaN(s[b]) ? Float.NEGATIVE_INFINITY : s[b];
        return x > y || (x == y && a < b);
    }

    private static void siftUp(int[] heap, int i, float[] s) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(heap[parent], heap[i], s)) {
                break;
            }
            int t = heap[parent];
            heap[parent] = heap[i];
            heap[i] = t;
            i = parent;
        }
    }

    private static void siftDown(int[] heap, int size, float[] s) {
        int i = 0;
        while (true) {
            int worst = i;
            for (int c = 2 * i + 1; c <= 2 * i + 2 && c < size; c++) {
                if (better(heap[worst], heap[c], s)) {
                    worst = c;
                }
            }
            if (worst == i) {
                return;
            }
            int t = heap[worst];
            heap[worst] = heap[i];
            heap[i] = t;
            i = worst;
        }
    }

    private int index(int row, int col) {
        if (row < 0 || row >= rows || col < 0 || col >= cols) {
            throw new IndexOutOfBoundsException("(" + row + ", " + col + ") outside " + rows + "x" + cols);
        }
        return row * cols + col;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScoreMatrix m && m.rows == rows && m.cols == cols && Arrays.equals(m.values, values);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * rows + cols) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "ScoreMatrix[" + rows + "x" + cols + "]";
    }
}
