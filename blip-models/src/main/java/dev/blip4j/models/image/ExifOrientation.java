package dev.blip4j.models.image;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteOrder;
import javax.imageio.stream.ImageInputStream;

/**
 * The EXIF Orientation tag (0x0112) and the transposition {@code ImageOps.exif_transpose} applies
 * for it.
 *
 * <p>PIL does <b>not</b> rotate images on open, and BLIP's pipeline never calls
 * {@code exif_transpose}, so the loader leaves pixels as stored unless asked. When asked, the tag is
 * read from where Pillow 9.4 finds it for the formats that carry it: the JPEG APP1 "Exif" segment,
 * the PNG {@code eXIf} chunk and the WebP {@code EXIF} chunk (Pillow's fallbacks to XMP and to PNG
 * "Raw profile type exif" text are not reproduced).
 */
final class ExifOrientation {

    private ExifOrientation() {
    }

    /** Orientation 1..8 from a TIFF-structured EXIF block (optionally prefixed "Exif\0\0"); 1 if absent. */
    static int parse(byte[] exif) {
        if (exif == null) {
            return 1;
        }
        int start = 0;
        if (exif.length >= 6 && exif[0] == 'E' && exif[1] == 'x' && exif[2] == 'i' && exif[3] == 'f'
                && exif[4] == 0 && exif[5] == 0) {
            start = 6;
        }
        if (exif.length < start + 8) {
            return 1;
        }
        boolean little;
        if (exif[start] == 'I' && exif[start + 1] == 'I') {
            little = true;
        } else if (exif[start] == 'M' && exif[start + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        long ifd = u32(exif, start + 4, little);
        long entriesAt = start + ifd;
        if (ifd < 8 || entriesAt + 2 > exif.length) {
            return 1;
        }
        int count = u16(exif, (int) entriesAt, little);
        for (int i = 0; i < count; i++) {
            long e = entriesAt + 2 + 12L * i;
            if (e + 12 > exif.length) {
                return 1;
            }
            int tag = u16(exif, (int) e, little);
            if (tag == 0x0112) {
                int type = u16(exif, (int) e + 2, little);
                int value = type == 3 ? u16(exif, (int) e + 8, little)
                        : type == 4 ? (int) u32(exif, (int) e + 8, little) : -1;
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int i, boolean little) {
        return little ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    private static long u32(byte[] b, int i, boolean little) {
        long v = little
                ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (long) (b[i + 3] & 0xFF) << 24
                : (long) (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
        return v & 0xFFFFFFFFL;
    }

    /**
     * Finds the EXIF block of a PNG ({@code eXIf}) or WebP ({@code EXIF}) file; JPEG blocks come
     * from {@link JpegHeader}. Returns {@code null} when there is none.
     */
    static byte[] find(ImageInputStream in, String format) throws IOException {
        try {
            if (format.equals("png")) {
                in.seek(8);
                while (true) {
                    long length = in.readUnsignedInt();
                    int type = in.readInt();
                    if (type == 0x65584966 && length <= 1 << 20) { // eXIf
                        byte[] b = new byte[(int) length];
                        in.readFully(b);
                        return b;
                    }
                    if (type == 0x49454E44) { // IEND
                        return null;
                    }
                    in.seek(in.getStreamPosition() + length + 4);
                }
            }
            if (format.equals("webp")) {
                in.setByteOrder(ByteOrder.LITTLE_ENDIAN);
                try {
                    in.seek(12);
                    while (true) {
                        int type = in.readInt();
                        long length = in.readUnsignedInt();
                        if (type == 0x46495845 && length <= 1 << 20) { // "EXIF" little-endian
                            byte[] b = new byte[(int) length];
                            in.readFully(b);
                            return b;
                        }
                        in.seek(in.getStreamPosition() + length + (length & 1));
                    }
                } finally {
                    in.setByteOrder(ByteOrder.BIG_ENDIAN);
                }
            }
        } catch (EOFException e) {
            return null;
        }
        return null;
    }

    /** The image as {@code exif_transpose} returns it for {@code orientation} (1..8). */
    static RgbImage apply(RgbImage image, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] in = image.pixels();
        byte[] out = new byte[in.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }          // FLIP_LEFT_RIGHT
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }  // ROTATE_180
                    case 4 -> { sx = x; sy = h - 1 - y; }          // FLIP_TOP_BOTTOM
                    case 5 -> { sx = y; sy = x; }                  // TRANSPOSE
                    case 6 -> { sx = y; sy = h - 1 - x; }          // ROTATE_270 (clockwise)
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }  // TRANSVERSE
                    default -> { sx = w - 1 - y; sy = x; }         // 8: ROTATE_90 (counter-clockwise)
                }
                int s = (sy * w + sx) * 3;
                int d = (y * ow + x) * 3;
                out[d] = in[s];
                out[d + 1] = in[s + 1];
                out[d + 2] = in[s + 2];
            }
        }
        return new RgbImage(ow, oh, out);
    }
}
