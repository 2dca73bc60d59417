package dev.blip4j.models.image;

import java.io.EOFException;
import java.io.IOException;
import javax.imageio.stream.ImageInputStream;

/**
 * Walks the container structure of PNG, JPEG, BMP and WebP files without decoding pixels.
 *
 * <p>ImageIO does not report truncation consistently: the PNG reader fails with "Invalid chunk
 * length", the BMP reader with a bare EOFException, and the JPEG reader returns a grey-filled
 * image with only a warning. Pillow refuses all of these as "image file is truncated". To give one
 * clear answer, a failed decode is followed by this walk, which checks whether the bytes the format
 * promises are actually present. It also recovers the true PNG palette length, which the JDK reader
 * rounds up and pads.
 */
final class FileStructure {

    private FileStructure() {
    }

    /**
     * Whether the data ends before the first image is complete.
     *
     * @param format lower-case ImageIO format name ({@code png}, {@code jpeg}, ...)
     * @return true if truncated; false if complete or the format is not known here
     */
    static boolean isTruncated(ImageInputStream in, String format) throws IOException {
        try {
            switch (format) {
                case "png":
                    return !pngComplete(in);
                case "jpeg":
                case "jpg":
                    return !jpegHasEoi(in);
                case "bmp":
                    return bmpShort(in);
                case "webp":
                    return riffShort(in);
                default:
                    return false;
            }
        } catch (EOFException e) {
            return true;
        }
    }

    /** Reads through every PNG chunk up to IEND; false if any chunk is cut short. */
    private static boolean pngComplete(ImageInputStream in) throws IOException {
        in.seek(8);
        while (true) {
            long length = in.readUnsignedInt();
            int type = in.readInt();
            if (type == 0x49454E44) { // IEND
                return true;
            }
            if (!present(in, in.getStreamPosition() + length + 4)) {
                return false;
            }
        }
    }

    /**
     * Number of colours in the PNG's PLTE chunk (before IDAT), or -1 if there is none. Pillow maps
     * palette indices past this count to grey {@code (i, i, i)}; the JDK pads differently.
     */
    static int pngPaletteLength(ImageInputStream in) throws IOException {
        in.seek(8);
        try {
            while (true) {
                long length = in.readUnsignedInt();
                int type = in.readInt();
                if (type == 0x504C5445) { // PLTE
                    return (int) Math.min(length / 3, 256);
                }
                if (type == 0x49444154 || type == 0x49454E44) { // IDAT, IEND
                    return -1;
                }
                in.seek(in.getStreamPosition() + length + 4);
            }
        } catch (EOFException e) {
            return -1;
        }
    }

    /**
     * Width and height from a PNG's IHDR, or {@code null} if the stream does not start with one.
     * Read directly because the JDK reader rejects a zero size with a generic error.
     */
    static long[] pngSize(ImageInputStream in) throws IOException {
        try {
            in.seek(12);
            if (in.readInt() != 0x49484452) { // IHDR
                return null;
            }
            return new long[] {in.readUnsignedInt(), in.readUnsignedInt()};
        } catch (EOFException e) {
            return null;
        }
    }

    /** Whether an EOI marker follows the entropy-coded data. */
    private static boolean jpegHasEoi(ImageInputStream in) throws IOException {
        in.seek(0);
        byte[] buf = new byte[1 << 16];
        boolean sawFF = false;
        int n;
        while ((n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                int b = buf[i] & 0xFF;
                if (sawFF && b == 0xD9) {
                    return true;
                }
                sawFF = b == 0xFF;
            }
        }
        return false;
    }

    /** BMP: the pixel data offset plus the stored image size must be present. */
    private static boolean bmpShort(ImageInputStream in) throws IOException {
        in.setByteOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        try {
            in.seek(2);
            long fileSize = in.readUnsignedInt();
            long actual = in.length();
            if (actual < 0) {
                return !present(in, fileSize);
            }
            return actual < fileSize;
        } finally {
            in.setByteOrder(java.nio.ByteOrder.BIG_ENDIAN);
        }
    }

    /** RIFF (WebP): the size in the RIFF header must be present. */
    private static boolean riffShort(ImageInputStream in) throws IOException {
        in.setByteOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        try {
            in.seek(4);
            long riffSize = in.readUnsignedInt();
            return !present(in, 8 + riffSize);
        } finally {
            in.setByteOrder(java.nio.ByteOrder.BIG_ENDIAN);
        }
    }

    /** Whether the stream holds at least {@code end} bytes; leaves the position at {@code end}. */
    private static boolean present(ImageInputStream in, long end) throws IOException {
        if (end <= 0) {
            return true;
        }
        long length = in.length();
        if (length >= 0) {
            if (length < end) {
                return false;
            }
            in.seek(end);
            return true;
        }
        in.seek(end - 1);
        if (in.read() < 0) {
            return false;
        }
        return true;
    }
}
