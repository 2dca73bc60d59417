package dev.blip4j.models.image;

import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Pillow's {@code Image.resize(size, resample)} for 8-bit RGB images, bit for bit.
 *
 * <p>BLIP's checkpoints were trained and evaluated on images resized by PIL (torchvision's
 * {@code Resize} on a PIL image calls {@code Image.resize}), so a resampler that is merely "also
 * bicubic" shifts every input pixel by a level or two. This class re-implements
 * {@code ImagingResampleInner} of Pillow 9.4's libImaging/Resample.c:
 * <ul>
 *   <li>two separable passes, <b>horizontal first</b>, each rounding to 8 bits - the intermediate
 *       image is 8-bit, which is part of Pillow's result;</li>
 *   <li>a pass is skipped when its axis keeps its size (the whole box is used), and an image whose
 *       size does not change is returned as is, as {@code Image.resize} returns a copy;</li>
 *   <li>the horizontal pass only produces the source rows the vertical pass reads
 *       ({@code ybox_first .. ybox_last}), which also keeps the intermediate small for large
 *       downscales;</li>
 *   <li>fixed-point accumulation in {@code int} starting at {@code 1 << (PRECISION_BITS - 1)}, then
 *       an arithmetic shift and clamping to 0..255 ({@code clip8}).</li>
 * </ul>
 * Integer sums do not depend on the order of additions, so rows are computed in parallel for large
 * images without changing the result. No per-pixel objects are allocated.
 */
public final class PilResize {

    /** Multiply-adds below which a pass runs on the calling thread only. */
    private static final long PARALLEL_THRESHOLD = 1L << 22;

    private PilResize() {
    }

    /** Resizes to {@code width x height} with BICUBIC, as BLIP's transform does. */
    public static RgbImage resize(RgbImage image, int width, int height) {
        return resize(image, width, height, ResampleFilter.BICUBIC);
    }

    /**
     * Resizes to {@code width x height} with {@code filter}; aspect ratio is not kept, as in
     * {@code Image.resize((width, height))}.
     *
     * @throws IllegalArgumentException if a target size is not positive or the result would not fit
     *     in one array
     */
    public static RgbImage resize(RgbImage image, int width, int height, ResampleFilter filter) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(filter, "filter");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
        }
        if (3L * width * height > RgbImage.MAX_ARRAY_BYTES) {
            throw new IllegalArgumentException("target size " + width + "x" + height + " is too large");
        }
        if (width == image.width() && height == image.height()) {
            return image;
        }
        boolean needHorizontal = width != image.width();
        boolean needVertical = height != image.height();

        ResampleCoefficients vert = ResampleCoefficients.compute(image.height(), height, filter);
        byte[] src = image.pixels();
        int srcWidth = image.width();
        int rowOffset = 0;
        if (needHorizontal) {
            ResampleCoefficients horiz = ResampleCoefficients.compute(image.width(), width, filter);
            int yFirst = vert.first(0);
            int yLast = vert.first(height - 1) + vert.count(height - 1);
            if (!needVertical) {
                yFirst = 0;
                yLast = image.height();
            }
            src = horizontalPass(src, srcWidth, yFirst, yLast - yFirst, horiz);
            srcWidth = width;
            rowOffset = yFirst;
        }
        if (!needVertical) {
            return new RgbImage(width, height, src);
        }
        byte[] out = verticalPass(src, srcWidth, rowOffset, vert);
        return new RgbImage(width, height, out);
    }

    /** Resamples rows {@code yFirst .. yFirst+rows-1} of {@code src} along x. */
    private static byte[] horizontalPass(byte[] src, int srcWidth, int yFirst, int rows, ResampleCoefficients c) {
        int outWidth = c.outSize();
        byte[] out = new byte[3 * outWidth * rows];
        int ksize = c.ksize();
        int[] k = c.fixedTable();
        int[] first = new int[outWidth];
        int[] count = new int[outWidth];
        long work = 0;
        for (int xx = 0; xx < outWidth; xx++) {
            first[xx] = c.first(xx);
            count[xx] = c.count(xx);
            work += count[xx];
        }
        int half = 1 << (ResampleCoefficients.PRECISION_BITS - 1);
        rows(rows, work * rows * 3, yy -> {
            int inRow = (yy + yFirst) * srcWidth * 3;
            int outRow = yy * outWidth * 3;
            for (int xx = 0; xx < outWidth; xx++) {
                int kb = xx * ksize;
                int p = inRow + first[xx] * 3;
                int n = count[xx];
                int s0 = half;
                int s1 = half;
                int s2 = half;
                for (int x = 0; x < n; x++, p += 3) {
                    int w = k[kb + x];
                    s0 += (src[p] & 0xFF) * w;
                    s1 += (src[p + 1] & 0xFF) * w;
                    s2 += (src[p + 2] & 0xFF) * w;
                }
                int o = outRow + xx * 3;
                out[o] = clip8(s0);
                out[o + 1] = clip8(s1);
                out[o + 2] = clip8(s2);
            }
        });
        return out;
    }

    /**
     * Resamples along y; {@code rowOffset} is the source row that row 0 of {@code src} holds
     * (Pillow shifts {@code bounds_vert} by {@code ybox_first} instead - same thing).
     */
    private static byte[] verticalPass(byte[] src, int width, int rowOffset, ResampleCoefficients c) {
        int outHeight = c.outSize();
        int rowLen = width * 3;
        byte[] out = new byte[rowLen * outHeight];
        int ksize = c.ksize();
        int[] k = c.fixedTable();
        long work = 0;
        for (int yy = 0; yy < outHeight; yy++) {
            work += c.count(yy);
        }
        int half = 1 << (ResampleCoefficients.PRECISION_BITS - 1);
        rows(outHeight, work * rowLen, yy -> {
            int[] acc = new int[rowLen];
            java.util.Arrays.fill(acc, half);
            int kb = yy * ksize;
            int y0 = c.first(yy) - rowOffset;
            int n = c.count(yy);
            for (int y = 0; y < n; y++) {
                int w = k[kb + y];
                int p = (y0 + y) * rowLen;
                for (int i = 0; i < rowLen; i++) {
                    acc[i] += (src[p + i] & 0xFF) * w;
                }
            }
            int o = yy * rowLen;
            for (int i = 0; i < rowLen; i++) {
                out[o + i] = clip8(acc[i]);
            }
        });
        return out;
    }

    /** Pillow's {@code clip8}: arithmetic shift out the fraction, clamp to 0..255. */
    private static byte clip8(int acc) {
        int v = acc >> ResampleCoefficients.PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** Runs {@code body} for rows {@code 0 .. n-1}, in parallel when there is enough work. */
    private static void rows(int n, long work, java.util.function.IntConsumer body) {
        if (work < PARALLEL_THRESHOLD || n < 2 || Runtime.getRuntime().availableProcessors() < 2) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }
}
