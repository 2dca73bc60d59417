package dev.blip4j.core;

import java.util.Locale;

/**
 * How records that hold arrays print themselves: token ids in full while they are short, long
 * arrays (states, embeddings, pixels) as their length and first values, so that a
 * {@code System.out.println(caption)} is readable instead of {@code [J@1b2c3d}.
 */
public final class ArrayText {

    /** Integer arrays (token ids) up to this length print in full. */
    static final int WHOLE = 64;
    /** Longer arrays print their length and this many first values. */
    static final int FIRST = 8;

    private ArrayText() {}

    public static String of(long[] a) {
        if (a == null) {
            return "null";
        }
        boolean whole = a.length <= WHOLE;
        StringBuilder sb = new StringBuilder(whole ? "[" : "long[" + a.length + "] [");
        for (int i = 0; i < (whole ? a.length : FIRST); i++) {
            sb.append(i == 0 ? "" : ", ").append(a[i]);
        }
        return sb.append(whole ? "]" : ", ...]").toString();
    }

    public static String of(int[] a) {
        return a == null ? "null" : of(java.util.Arrays.stream(a).asLongStream().toArray()).replace("long[", "int[");
    }

    /** Floats (states, embeddings, scores): length and the first values, 4 significant digits. */
    public static String of(float[] a) {
        if (a == null) {
            return "null";
        }
        boolean whole = a.length <= FIRST;
        StringBuilder sb = new StringBuilder(whole ? "[" : "float[" + a.length + "] [");
        for (int i = 0; i < Math.min(a.length, FIRST); i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4g", a[i]));
        }
        return sb.append(whole ? "]" : ", ...]").toString();
    }

    /** Bytes (encoded images, pixels) by their count only. */
    public static String of(byte[] a) {
        return a == null ? "null" : "byte[" + a.length + "]";
    }
}
