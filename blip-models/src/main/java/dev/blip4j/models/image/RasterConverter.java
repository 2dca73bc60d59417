package dev.blip4j.models.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * Converts a {@link BufferedImage} to {@link RgbImage} the way PIL's {@code convert("RGB")} treats
 * the equivalent PIL mode, working on the stored samples - never through {@code getRGB}, which
 * would apply Java2D colour management (a linear-gray image would come out gamma-shifted).
 *
 * <table>
 *   <caption>Pillow modes and the rule applied</caption>
 *   <tr><th>samples</th><th>PIL mode</th><th>RGB result</th></tr>
 *   <tr><td>palette (IndexColorModel)</td><td>P</td><td>palette colour; indices past the file's
 *       palette give grey {@code (i, i, i)}, Pillow's initial palette ramp</td></tr>
 *   <tr><td>8-bit grey (+ alpha)</td><td>L / LA</td><td>{@code R = G = B = L}, alpha dropped</td></tr>
 *   <tr><td>16-bit grey (PNG colour type 0, with or without tRNS)</td><td>I</td><td>{@code min(L, 255)}:
 *       Pillow clamps the 16-bit value, so most 16-bit grey images come out nearly white -
 *       faithfully reproduced</td></tr>
 *   <tr><td>16-bit grey + alpha</td><td>RGBA via "LA;16B"</td><td>high byte of L</td></tr>
 *   <tr><td>16-bit RGB(A)</td><td>RGB / RGBA via "RGB;16B"</td><td>high byte of each channel</td></tr>
 *   <tr><td>fewer than 8 bits (BMP 5-6-5, PNG 1/2/4-bit grey)</td><td>via "BGR;15/16", "L;2/4"</td>
 *       <td>{@code v * 255 / (2^bits - 1)}, truncated</td></tr>
 *   <tr><td>RGB(A), 8-bit</td><td>RGB / RGBA</td><td>as stored; alpha dropped, <b>not</b> composited,
 *       so colours under transparent pixels are kept</td></tr>
 *   <tr><td>premultiplied RGBA</td><td>RGBa</td><td>un-premultiplied like Convert.c
 *       {@code rgba2rgb_}: {@code clip(255 * c / a)} unless a is 0 or 255</td></tr>
 *   <tr><td>CMYK colour space</td><td>CMYK</td><td>Convert.c {@code cmyk2rgb} on the samples</td></tr>
 * </table>
 * Anything else (float rasters, exotic colour spaces) falls back to the colour model's own sRGB
 * conversion, which has no PIL counterpart to match.
 */
final class RasterConverter {

    private RasterConverter() {
    }

    /**
     * How 16-bit grey becomes 8-bit. Pillow decides by the PNG colour type: grey (type 0) opens as
     * mode I and is clamped at 255, grey+alpha (type 4) goes through "LA;16B" and keeps the high
     * byte. The JDK reader turns a grey PNG with a tRNS chunk into grey+alpha, so the band count
     * alone cannot tell.
     */
    enum Grey16 {
        /** {@code min(v, 255)}: PNG colour type 0, and any 16-bit grey without alpha. */
        CLAMP,
        /** {@code v >> 8}: PNG colour type 4. */
        HIGH_BYTE,
        /** Decide by the colour model: with alpha HIGH_BYTE, without CLAMP. */
        BY_ALPHA
    }

    /**
     * Converts {@code image}.
     *
     * @param reuse whether the image's own pixel array may become the result's array (and be
     *     modified in place); only for images the loader decoded itself, never for callers' images
     * @param paletteEntries for palette images, how many palette entries the file really defines
     *     (-1: all of the colour model's entries)
     */
    static RgbImage convert(BufferedImage image, boolean reuse, int paletteEntries) {
        return convert(image, reuse, paletteEntries, Grey16.BY_ALPHA);
    }

    /** As {@link #convert(BufferedImage, boolean, int)}, with the 16-bit grey rule given. */
    static RgbImage convert(BufferedImage image, boolean reuse, int paletteEntries, Grey16 grey16) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm) {
            return palette(raster, icm, paletteEntries);
        }
        int transfer = raster.getTransferType();
        boolean integral = transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT
                || transfer == DataBuffer.TYPE_INT || transfer == DataBuffer.TYPE_SHORT;
        int colorComps = cm.getNumColorComponents();
        int csType = cm.getColorSpace().getType();
        if (integral && colorComps == 1 && raster.getNumBands() == cm.getNumComponents()) {
            return gray(raster, cm, grey16 == Grey16.BY_ALPHA ? (cm.hasAlpha() ? Grey16.HIGH_BYTE : Grey16.CLAMP)
                    : grey16);
        }
        if (integral && colorComps == 3 && csType == ColorSpace.TYPE_RGB
                && raster.getNumBands() == cm.getNumComponents()) {
            RgbImage fast = fastRgb(raster, cm, reuse);
            return fast != null ? fast : rgb(raster, cm);
        }
        if (integral && colorComps == 4 && csType == ColorSpace.TYPE_CMYK && !cm.isAlphaPremultiplied()
                && raster.getNumBands() == cm.getNumComponents()) {
            return cmyk(raster, cm);
        }
        return viaColorModel(image);
    }

    /** Scales a sample of {@code bits} bits to 8 bits as Pillow's unpackers do for RGB data. */
    private static int to8(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        return v * 255 / ((1 << bits) - 1);
    }

    private static RgbImage palette(Raster raster, IndexColorModel icm, int paletteEntries) {
        int mapSize = icm.getMapSize();
        int lutSize = Math.max(256, mapSize);
        int defined = paletteEntries < 0 ? mapSize : Math.min(paletteEntries, mapSize);
        int[] lut = new int[lutSize];
        for (int i = 0; i < lutSize; i++) {
            if (i < defined) {
                lut[i] = icm.getRed(i) << 16 | icm.getGreen(i) << 8 | icm.getBlue(i);
            } else {
                int g = i & 0xFF; // Pillow's palette starts as the grey ramp (i, i, i)
                lut[i] = g << 16 | g << 8 | g;
            }
        }
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            int o = y * w * 3;
            for (int x = 0; x < w; x++, o += 3) {
                int i = row[x];
                int c = i < lutSize ? lut[i] : (i & 0xFF) * 0x010101;
                out[o] = (byte) (c >> 16);
                out[o + 1] = (byte) (c >> 8);
                out[o + 2] = (byte) c;
            }
        }
        return new RgbImage(w, h, out);
    }

    private static RgbImage gray(Raster raster, ColorModel cm, Grey16 wide) {
        int bits = cm.getComponentSize(0);
        boolean highByte = wide == Grey16.HIGH_BYTE;
        int bands = raster.getNumBands();
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            int o = y * w * 3;
            for (int x = 0; x < w; x++, o += 3) {
                int v = row[x * bands];
                int g;
                if (bits == 8) {
                    g = v;
                } else if (bits > 8) {
                    // PNG 16-bit grey opens as mode I and convert() clamps; grey+alpha keeps the high byte.
                    g = highByte ? v >>> (bits - 8) : Math.min(v, 255);
                } else {
                    g = v * 255 / ((1 << bits) - 1);
                }
                byte b = (byte) g;
                out[o] = b;
                out[o + 1] = b;
                out[o + 2] = b;
            }
        }
        return new RgbImage(w, h, out);
    }

    private static RgbImage rgb(Raster raster, ColorModel cm) {
        int bands = raster.getNumBands();
        int[] bits = cm.getComponentSize();
        boolean premultiplied = cm.hasAlpha() && cm.isAlphaPremultiplied();
        int alphaBits = cm.hasAlpha() ? bits[3] : 8;
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            int o = y * w * 3;
            for (int x = 0, p = 0; x < w; x++, p += bands, o += 3) {
                int r = to8(row[p], bits[0]);
                int g = to8(row[p + 1], bits[1]);
                int b = to8(row[p + 2], bits[2]);
                if (premultiplied) {
                    int a = to8(row[p + 3], alphaBits);
                    if (a != 0 && a != 255) {
                        r = Math.min(255 * r / a, 255);
                        g = Math.min(255 * g / a, 255);
                        b = Math.min(255 * b / a, 255);
                    }
                }
                out[o] = (byte) r;
                out[o + 1] = (byte) g;
                out[o + 2] = (byte) b;
            }
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Array-level loops for the common 8-bit layouts (3BYTE_BGR, RGB interleaved, INT_RGB/ARGB);
     * {@code null} when the layout is not one of them.
     */
    private static RgbImage fastRgb(Raster raster, ColorModel cm, boolean reuse) {
        if (cm.hasAlpha() && cm.isAlphaPremultiplied()) {
            return null;
        }
        int[] bits = cm.getComponentSize();
        for (int i = 0; i < 3; i++) {
            if (bits[i] != 8) {
                return null;
            }
        }
        int w = raster.getWidth();
        int h = raster.getHeight();
        SampleModel sm = raster.getSampleModel();
        DataBuffer db = raster.getDataBuffer();
        int tx = raster.getSampleModelTranslateX();
        int ty = raster.getSampleModelTranslateY();
        int x0 = raster.getMinX() - tx;
        int y0 = raster.getMinY() - ty;
        if (sm instanceof ComponentSampleModel csm && db instanceof DataBufferByte dbb && db.getNumBanks() == 1) {
            byte[] data = dbb.getData();
            int[] offs = csm.getBandOffsets();
            int ps = csm.getPixelStride();
            int ss = csm.getScanlineStride();
            int base = db.getOffset() + y0 * ss + x0 * ps; // getOffset() would add bandOffsets[0]
            int ro = offs[0];
            int go = offs[1];
            int bo = offs[2];
            boolean contiguous = ps == 3 && ss == 3 * w && base == 0 && data.length == 3 * w * h;
            if (reuse && contiguous && ro == 0 && go == 1 && bo == 2) {
                return new RgbImage(w, h, data);
            }
            if (reuse && contiguous && ro == 2 && go == 1 && bo == 0) {
                for (int i = 0; i < data.length; i += 3) {
                    byte t = data[i];
                    data[i] = data[i + 2];
                    data[i + 2] = t;
                }
                return new RgbImage(w, h, data);
            }
            byte[] out = new byte[3 * w * h];
            for (int y = 0; y < h; y++) {
                int p = base + y * ss;
                int o = y * w * 3;
                for (int x = 0; x < w; x++, p += ps, o += 3) {
                    out[o] = data[p + ro];
                    out[o + 1] = data[p + go];
                    out[o + 2] = data[p + bo];
                }
            }
            return new RgbImage(w, h, out);
        }
        if (sm instanceof SinglePixelPackedSampleModel spp && db instanceof DataBufferInt dbi
                && db.getNumBanks() == 1) {
            int[] data = dbi.getData();
            int[] shifts = spp.getBitOffsets();
            int ss = spp.getScanlineStride();
            int base = db.getOffset() + spp.getOffset(x0, y0);
            int rs = shifts[0];
            int gs = shifts[1];
            int bs = shifts[2];
            byte[] out = new byte[3 * w * h];
            for (int y = 0; y < h; y++) {
                int p = base + y * ss;
                int o = y * w * 3;
                for (int x = 0; x < w; x++, p++, o += 3) {
                    int v = data[p];
                    out[o] = (byte) (v >>> rs);
                    out[o + 1] = (byte) (v >>> gs);
                    out[o + 2] = (byte) (v >>> bs);
                }
            }
            return new RgbImage(w, h, out);
        }
        return null;
    }

    private static RgbImage cmyk(Raster raster, ColorModel cm) {
        int bands = raster.getNumBands();
        int[] bits = cm.getComponentSize();
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            int o = y * w * 3;
            for (int x = 0, p = 0; x < w; x++, p += bands, o += 3) {
                int c = to8(row[p], bits[0]);
                int m = to8(row[p + 1], bits[1]);
                int ye = to8(row[p + 2], bits[2]);
                int k = to8(row[p + 3], bits[3]);
                // Pillow mode CMYK: cmyk2rgb with nk = 255 - K.
                JpegColor.decodedCmykToRgb(255 - c, 255 - m, 255 - ye, 255 - k, out, o);
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Last resort: the colour model's own sRGB conversion, one pixel at a time. */
    private static RgbImage viaColorModel(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            int o = y * w * 3;
            for (int x = 0; x < w; x++, o += 3) {
                int c = row[x];
                out[o] = (byte) (c >> 16);
                out[o + 1] = (byte) (c >> 8);
                out[o + 2] = (byte) c;
            }
        }
        return new RgbImage(w, h, out);
    }
}
