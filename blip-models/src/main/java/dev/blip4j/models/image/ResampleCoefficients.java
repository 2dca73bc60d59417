package dev.blip4j.models.image;

/**
 * The 1-D resampling weights of one pass of Pillow's resize, computed as {@code precompute_coeffs}
 * and {@code normalize_coeffs_8bpc} in libImaging/Resample.c (Pillow 9.4) do.
 *
 * <p>For each output position {@code i}, source indices {@code first(i) .. first(i)+count(i)-1}
 * contribute with the fixed-point weights {@code fixedWeight(i, j)}; these are the kernel values
 * normalised to sum 1 in {@code double}, then scaled by {@code 2^22} and rounded half away from
 * zero. Bit-exact agreement with Pillow depends on every detail here: the kernel is stretched by the
 * downscale factor (antialiasing), the window bounds are rounded with {@code (int)(v + 0.5)}
 * truncation, and the source box coordinates are single-precision floats.
 */
final class ResampleCoefficients {

    /** Fractional bits of the fixed-point weights: 32 - 8 (pixel) - 2 (headroom for negative lobes). */
    static final int PRECISION_BITS = 32 - 8 - 2;

    private final int outSize;
    private final int ksize;
    private final int[] bounds;
    private final double[] weights;
    private final int[] fixed;

    private ResampleCoefficients(int outSize, int ksize, int[] bounds, double[] weights, int[] fixed) {
        this.outSize = outSize;
        this.ksize = ksize;
        this.bounds = bounds;
        this.weights = weights;
        this.fixed = fixed;
    }

    /**
     * Weights for resampling the source interval {@code [in0, in1)} of an axis of {@code inSize}
     * pixels onto {@code outSize} pixels.
     */
    static ResampleCoefficients compute(int inSize, float in0, float in1, int outSize, ResampleFilter filter) {
        if (inSize <= 0 || outSize <= 0) {
            throw new IllegalArgumentException("sizes must be positive: in " + inSize + ", out " + outSize);
        }
        // (double)(in1 - in0): the subtraction is single precision in the C code.
        double scale = (double) (in1 - in0) / outSize;
        double filterscale = scale < 1.0 ? 1.0 : scale;
        double support = filter.support() * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        if ((long) outSize * ksize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("resampling " + inSize + " -> " + outSize + " needs too many weights");
        }
        int[] bounds = new int[outSize * 2];
        double[] kk = new double[outSize * ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = in0 + (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            int base = xx * ksize;
            for (int x = 0; x < xmax; x++) {
                double w = filter.weight((x + xmin - center + 0.5) * ss);
                kk[base + x] = w;
                ww += w;
            }
            if (ww != 0.0) {
                for (int x = 0; x < xmax; x++) {
                    kk[base + x] /= ww;
                }
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        int[] fixed = new int[kk.length];
        double one = 1 << PRECISION_BITS;
        for (int i = 0; i < kk.length; i++) {
            fixed[i] = kk[i] < 0 ? (int) (-0.5 + kk[i] * one) : (int) (0.5 + kk[i] * one);
        }
        return new ResampleCoefficients(outSize, ksize, bounds, kk, fixed);
    }

    /** Weights for the whole axis, {@code [0, inSize)} - the only box {@code Image.resize(size)} uses. */
    static ResampleCoefficients compute(int inSize, int outSize, ResampleFilter filter) {
        return compute(inSize, 0f, (float) inSize, outSize, filter);
    }

    int outSize() {
        return outSize;
    }

    /** Row stride of the weight tables: the largest possible window. */
    int ksize() {
        return ksize;
    }

    /** First source index contributing to output {@code i}. */
    int first(int i) {
        return bounds[i * 2];
    }

    /** Number of source indices contributing to output {@code i}. */
    int count(int i) {
        return bounds[i * 2 + 1];
    }

    /** Normalised double weight {@code j} of output {@code i} (before fixed-point rounding). */
    double weight(int i, int j) {
        return weights[i * ksize + j];
    }

    /** Fixed-point weight {@code j} of output {@code i}, scaled by {@code 2^PRECISION_BITS}. */
    int fixedWeight(int i, int j) {
        return fixed[i * ksize + j];
    }

    /** The fixed-point table itself, row {@code i} at offset {@code i * ksize()}; not copied (hot loop). */
    int[] fixedTable() {
        return fixed;
    }
}
