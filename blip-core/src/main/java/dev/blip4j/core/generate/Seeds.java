package dev.blip4j.core.generate;

/**
 * Seeds derived from a base seed and a key, so that a sampled sequence depends only on its input's
 * seed and its draw number, never on batching, order or threads.
 */
public final class Seeds {

    private Seeds() {}

    /** A well-mixed 64-bit value of (seed, key) (SplitMix64 finaliser over both). */
    public static long mix(long seed, long key) {
        long z = seed * 0x9E3779B97F4A7C15L + key * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The seeds of inputs {@code [from, to)} of a call: {@code mix(seed, i)} for input {@code i}. */
    public static long[] of(long seed, int from, int to) {
        long[] out = new long[to - from];
        for (int i = from; i < to; i++) {
            out[i - from] = mix(seed, i);
        }
        return out;
    }

    /** A seed for a string key, e.g. a sample's identifier in a dataset. */
    public static long mix(long seed, String key) {
        long h = 1125899906842597L;
        for (int i = 0; i < key.length(); i++) {
            h = 31 * h + key.charAt(i);
        }
        return mix(seed, h);
    }
}
