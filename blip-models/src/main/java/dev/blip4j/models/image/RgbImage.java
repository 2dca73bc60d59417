package dev.blip4j.models.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * An 8-bit RGB image exactly as PIL holds it after {@code Image.convert("RGB")}: rows top to bottom,
 * pixels left to right, three bytes R, G, B per pixel (HWC, no padding, no alpha, no colour profile).
 * This is the one pixel format the preprocessing pipeline works on, so every decoder funnels into it
 * and the resampler and normaliser never have to branch on layouts.
 *
 * <p>The pixel array is <b>not copied</b>: images can be hundreds of megabytes (a 20000x20000 input
 * is 1.2 GB), and a defensive copy would double peak memory. Treat the array as owned by the image
 * after construction; {@link #pixels()} returns that same array.
 *
 * @param width pixels per row, at least 1
 * @param height rows, at least 1
 * @param pixels exactly {@code width * height * 3} bytes, unsigned, RGB-interleaved
 */
public record RgbImage(int width, int height, byte[] pixels) {

    /** Largest pixel array a Java {@code byte[]} can hold with some JVM headroom. */
    static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8L;

    /**
     * Validates the dimensions against the array so that every later index computation
     * ({@code (y * width + x) * 3}) is known to be in range and overflow-free.
     */
    public RgbImage {
        Objects.requireNonNull(pixels, "pixels");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        long expected = 3L * width * height;
        if (expected > MAX_ARRAY_BYTES) {
            throw new IllegalArgumentException(
                    "image " + width + "x" + height + " needs " + expected + " bytes, more than one Java array holds");
        }
        if (pixels.length != expected) {
            throw new IllegalArgumentException("an RGB image of " + width + "x" + height + " needs " + expected
                    + " bytes, got " + pixels.length);
        }
    }

    /** Number of pixels, {@code width * height}. */
    public long pixelCount() {
        return (long) width * height;
    }

    /** Unsigned value (0..255) of channel {@code c} (0 = R, 1 = G, 2 = B) at column {@code x}, row {@code y}. */
    public int get(int x, int y, int c) {
        Objects.checkIndex(x, width);
        Objects.checkIndex(y, height);
        Objects.checkIndex(c, 3);
        return pixels[(y * width + x) * 3 + c] & 0xFF;
    }

    /** The pixel at ({@code x}, {@code y}) packed as {@code 0xRRGGBB}, convenient in tests and logs. */
    public int rgb(int x, int y) {
        Objects.checkIndex(x, width);
        Objects.checkIndex(y, height);
        int i = (y * width + x) * 3;
        return (pixels[i] & 0xFF) << 16 | (pixels[i + 1] & 0xFF) << 8 | (pixels[i + 2] & 0xFF);
    }

    /** Value equality on size and pixel content (a record would otherwise compare array identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other
                && width == other.width
                && height == other.height
                && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(pixels);
    }

    /** Size only: printing the pixels of a large image would flood a log. */
    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
