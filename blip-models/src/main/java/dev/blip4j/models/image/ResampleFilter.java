package dev.blip4j.models.image;

import java.util.Locale;

/**
 * The convolution filters of Pillow's {@code ImagingResample} (libImaging/Resample.c), with their
 * support radius and the integer ids Pillow and HuggingFace {@code preprocessor_config.json}
 * ({@code "resample": 3}) use for them.
 *
 * <p>Each kernel is evaluated in {@code double} with the same operation order as the C code, so the
 * coefficients - and after fixed-point rounding the output pixels - are the same. BICUBIC is the one
 * BLIP uses and the one checked bit for bit against Pillow 9.4 output; the others follow the same
 * code path but are only checked on hand-computed cases. {@code NEAREST} (id 0) is not a convolution
 * in Pillow (it goes through an affine transform) and is not offered.
 */
public enum ResampleFilter {
    /** Box filter, support 0.5 (Pillow id 4). */
    BOX(4, 0.5),
    /** Triangle filter, support 1 (Pillow id 2). */
    BILINEAR(2, 1.0),
    /** Hamming-windowed sinc, support 1 (Pillow id 5). */
    HAMMING(5, 1.0),
    /** Keys cubic convolution with a = -0.5, support 2 (Pillow id 3); BLIP's filter. */
    BICUBIC(3, 2.0),
    /** Lanczos-3 windowed sinc, support 3 (Pillow id 1). */
    LANCZOS(1, 3.0);

    private final int pillowId;
    private final double support;

    ResampleFilter(int pillowId, double support) {
        this.pillowId = pillowId;
        this.support = support;
    }

    /** The {@code Image.Resampling} integer Pillow and HF configs use for this filter. */
    public int pillowId() {
        return pillowId;
    }

    /** Radius of the kernel in source pixels before scaling by the downscale factor. */
    public double support() {
        return support;
    }

    /** The kernel value at distance {@code x}; same expressions and evaluation order as Resample.c. */
    double weight(double x) {
        switch (this) {
            case BOX:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case BILINEAR:
                if (x < 0.0) {
                    x = -x;
                }
                return x < 1.0 ? 1.0 - x : 0.0;
            case HAMMING:
                if (x < 0.0) {
                    x = -x;
                }
                if (x == 0.0) {
                    return 1.0;
                }
                if (x >= 1.0) {
                    return 0.0;
                }
                x = x * Math.PI;
                // 0.54f and 0.46f are float literals in the C source: keep their float rounding.
                return Math.sin(x) / x * ((double) 0.54f + (double) 0.46f * Math.cos(x));
            case BICUBIC:
                return bicubic(x);
            case LANCZOS:
                if (-3.0 <= x && x < 3.0) {
                    return sinc(x) * sinc(x / 3);
                }
                return 0.0;
            default:
                throw new AssertionError(this);
        }
    }

    private static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }

    /** The filter for a Pillow / HF integer id; NEAREST (0) and unknown ids are refused. */
    public static ResampleFilter fromPillowId(int id) {
        for (ResampleFilter f : values()) {
            if (f.pillowId == id) {
                return f;
            }
        }
        if (id == 0) {
            throw new IllegalArgumentException("resample 0 (NEAREST) is not supported; BLIP uses 3 (BICUBIC)");
        }
        throw new IllegalArgumentException("unknown resample filter id " + id + " (Pillow ids are 0..5)");
    }

    /** The filter for a case-insensitive name such as {@code "bicubic"}. */
    public static ResampleFilter fromName(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown resample filter '" + name + "'", e);
        }
    }
}
