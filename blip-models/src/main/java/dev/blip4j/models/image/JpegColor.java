package dev.blip4j.models.image;

import java.awt.image.Raster;

/**
 * Turns the raw decoded components of a JPEG (upsampled, not colour-converted) into RGB exactly as
 * Pillow 9.4 does with libjpeg-turbo.
 *
 * <ul>
 *   <li>YCbCr to RGB uses libjpeg's fixed-point JFIF equations ({@code jdcolor.c}: 16 fraction
 *       bits, tables rounded with {@code FIX(x) = (int)(x * 65536 + 0.5)}, results clamped), so the
 *       output is bit-identical whenever the upsampled components are.</li>
 *   <li>Four-component files: libjpeg converts YCCK to CMYK with the same tables (C = 255 - R, ...,
 *       K unchanged); Pillow's JPEG plug-in then inverts all four components unconditionally
 *       ({@code rawmode "CMYK;I"}, "assume Adobe conventions", whether or not an Adobe marker is
 *       present), and {@code convert("RGB")} applies Convert.c's {@code cmyk2rgb}:
 *       {@code R = clip(255 - K' - C' * (255 - K') / 255)} with Pillow's rounded
 *       {@code MULDIV255}. No ICC profile is applied, unlike Java's readers.</li>
 * </ul>
 */
final class JpegColor {

    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private JpegColor() {
    }

    private static int fix(double x) {
        return (int) (x * (1 << SCALEBITS) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Pillow's {@code MULDIV255(a, b)}: {@code a * b / 255} rounded, in integers. */
    static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /**
     * Pillow's {@code convert("RGB")} of one CMYK pixel as its JPEG plug-in stores it, i.e. after the
     * "CMYK;I" inversion of the decoded values {@code c, m, y, k}.
     */
    static void decodedCmykToRgb(int c, int m, int y, int k, byte[] out, int o) {
        // Inverted: C' = 255 - c, ..., K' = 255 - k; cmyk2rgb uses nk = 255 - K' = k.
        int nk = k;
        out[o] = (byte) clamp(nk - mulDiv255(255 - c, nk));
        out[o + 1] = (byte) clamp(nk - mulDiv255(255 - m, nk));
        out[o + 2] = (byte) clamp(nk - mulDiv255(255 - y, nk));
    }

    /**
     * Converts {@code raster} (one band per JPEG component, 8-bit) to RGB.
     *
     * @throws IllegalArgumentException if the component count does not match {@code space}
     */
    static RgbImage toRgb(Raster raster, JpegHeader.ColorSpace space) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int bands = raster.getNumBands();
        int expected = switch (space) {
            case GRAYSCALE -> 1;
            case YCBCR, RGB -> 3;
            case CMYK, YCCK -> 4;
            default -> -1;
        };
        if (bands != expected) {
            throw new IllegalArgumentException("JPEG colour space " + space + " with " + bands + " components");
        }
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        int[] row = new int[w * bands];
        int x0 = raster.getMinX();
        int y0 = raster.getMinY();
        for (int y = 0; y < h; y++) {
            raster.getPixels(x0, y0 + y, w, 1, row);
            int o = y * w * 3;
            switch (space) {
                case GRAYSCALE -> {
                    for (int x = 0; x < w; x++, o += 3) {
                        byte v = (byte) row[x];
                        out[o] = v;
                        out[o + 1] = v;
                        out[o + 2] = v;
                    }
                }
                case RGB -> {
                    for (int i = 0; i < w * 3; i++) {
                        out[o + i] = (byte) row[i];
                    }
                }
                case YCBCR -> {
                    for (int x = 0, p = 0; x < w; x++, p += 3, o += 3) {
                        int yy = row[p];
                        int cb = row[p + 1];
                        int cr = row[p + 2];
                        out[o] = (byte) clamp(yy + CR_R[cr]);
                        out[o + 1] = (byte) clamp(yy + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
                        out[o + 2] = (byte) clamp(yy + CB_B[cb]);
                    }
                }
                case CMYK -> {
                    for (int x = 0, p = 0; x < w; x++, p += 4, o += 3) {
                        decodedCmykToRgb(row[p], row[p + 1], row[p + 2], row[p + 3], out, o);
                    }
                }
                case YCCK -> {
                    for (int x = 0, p = 0; x < w; x++, p += 4, o += 3) {
                        int yy = row[p];
                        int cb = row[p + 1];
                        int cr = row[p + 2];
                        // libjpeg ycck_cmyk_convert: C = 255 - R etc., clamped; K passes through.
                        int c = clamp(255 - (yy + CR_R[cr]));
                        int m = clamp(255 - (yy + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS)));
                        int ye = clamp(255 - (yy + CB_B[cb]));
                        decodedCmykToRgb(c, m, ye, row[p + 3], out, o);
                    }
                }
                default -> throw new AssertionError(space);
            }
        }
        return new RgbImage(w, h, out);
    }
}
