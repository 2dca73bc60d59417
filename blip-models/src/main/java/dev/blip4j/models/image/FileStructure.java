package dev.blip4j.models.image;

import java.io.EOFException;
import java.io.IOException;
import javax.imageio.stream.ImageInputStream;

/**
 * Walks the container structure of PNG, JPEG, BMP and WebP files without decoding pixels. Every
 * walk is bounded: a PNG chunk whose type is not four ASCII letters ends it at once (the PNG
 * signature followed by zeros is a chain of empty chunks of type 0), at most {@link #MAX_CHUNKS}
 * chunks and {@link #MAX_SCAN_BYTES} of JPEG data are looked at, and the streams are buffered
 * ({@link ImageSource#open}).
 *
 * <p>ImageIO does not report truncation consistently: the PNG reader fails with "Invalid chunk
 * length", the BMP reader with a bare EOFException, and the JPEG reader returns a grey-filled
 * image with only a warning. Pillow refuses all of these as "image file is truncated". To give one
 * clear answer, a failed decode is followed by this walk, which checks whether the bytes the format
 * promises are actually present. It also recovers the true PNG palette length, which the JDK reader
 * rounds up and pads.
 */
final class FileStructure {

    /** PNG chunks a walk looks at: an image's IDATs are typically 8 to 64 KiB each. */
    static final int MAX_CHUNKS = 1 << 20;

    /** Bytes of a JPEG a walk reads looking for its end. */
    static final long MAX_SCAN_BYTES = 1L << 30;

    /** How a walk over a PNG's chunks ended. */
    enum PngEnd {
        /** At the IEND chunk. */
        IEND,
        /** At the end of the data, between two chunks, without IEND. */
        BETWEEN_CHUNKS,
        /** A chunk runs past the end of the data. */
        CUT,
        /** A chunk type that is not four ASCII letters, or too many chunks. */
        CORRUPT
    }

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
                    PngEnd end = pngEnd(in).end();
                    return end == PngEnd.BETWEEN_CHUNKS || end == PngEnd.CUT;
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

    /** Where a walk over the chunks ended, and whether it passed an IDAT. */
    record PngWalk(PngEnd end, boolean idat) {}

    /** Steps from chunk to chunk by their lengths, without reading their data, up to IEND. */
    static PngWalk pngEnd(ImageInputStream in) throws IOException {
        in.seek(8);
        boolean idat = false;
        for (int chunks = 0; chunks < MAX_CHUNKS; chunks++) {
            long start = in.getStreamPosition();
            if (in.read() < 0) {
                return new PngWalk(PngEnd.BETWEEN_CHUNKS, idat);
            }
            in.seek(start);
            long length;
            int type;
            try {
                length = in.readUnsignedInt();
                type = in.readInt();
            } catch (EOFException e) {
                return new PngWalk(PngEnd.CUT, idat);
            }
            if (!isChunkType(type)) {
                return new PngWalk(PngEnd.CORRUPT, idat);
            }
            if (type == 0x49454E44) { // IEND
                return new PngWalk(PngEnd.IEND, idat);
            }
            idat |= type == 0x49444154;
            if (!present(in, in.getStreamPosition() + length + 4)) {
                return new PngWalk(PngEnd.CUT, idat);
            }
        }
        return new PngWalk(PngEnd.CORRUPT, idat);
    }

    /** PNG chunk types are four ASCII letters (the case of each carries a flag). */
    static boolean isChunkType(int type) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            int c = (type >>> shift) & 0xFF;
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Number of colours in the PNG's PLTE chunk (before IDAT), or -1 if there is none. Pillow maps
     * palette indices past this count to grey {@code (i, i, i)}; the JDK pads differently.
     */
    static int pngPaletteLength(ImageInputStream in) throws IOException {
        in.seek(8);
        try {
            for (int chunks = 0; chunks < MAX_CHUNKS; chunks++) {
                long length = in.readUnsignedInt();
                int type = in.readInt();
                if (!isChunkType(type)) {
                    return -1;
                }
                if (type == 0x504C5445) { // PLTE
                    return (int) Math.min(length / 3, 256);
                }
                if (type == 0x49444154 || type == 0x49454E44) { // IDAT, IEND
                    return -1;
                }
                in.seek(in.getStreamPosition() + length + 4);
            }
            return -1;
        } catch (EOFException e) {
            return -1;
        }
    }

    /**
     * Width, height, bit depth and colour type from a PNG's IHDR, or {@code null} if the stream
     * does not start with one. Read directly because the JDK reader rejects a zero size with a
     * generic error and hides the colour type (a tRNS chunk turns grey into grey+alpha).
     */
    static long[] pngHeader(ImageInputStream in) throws IOException {
        try {
            in.seek(12);
            if (in.readInt() != 0x49484452) { // IHDR
                return null;
            }
            return new long[] {in.readUnsignedInt(), in.readUnsignedInt(), in.readUnsignedByte(), in.readUnsignedByte()};
        } catch (EOFException e) {
            return null;
        }
    }

    /**
     * Whether the EOI marker that ends the main image is present. Segments before the first scan
     * are skipped by their lengths - an EXIF thumbnail is a complete JPEG with its own EOI - and
     * inside the scans stuffed bytes, restart markers and the segments between progressive scans
     * are stepped over.
     */
    private static boolean jpegHasEoi(ImageInputStream in) throws IOException {
        in.seek(2);
        boolean inScan = false;
        while (true) {
            if (in.getStreamPosition() > MAX_SCAN_BYTES) {
                return true; // too long to tell: not called truncated
            }
            int b = in.read();
            if (b < 0) {
                return false;
            }
            if (b != 0xFF) {
                continue; // entropy-coded data, or junk between segments
            }
            int marker;
            do {
                marker = in.read();
            } while (marker == 0xFF);
            if (marker < 0) {
                return false;
            }
            if (marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
                continue; // stuffed 0xFF, restart marker, TEM
            }
            if (marker == 0xD9) {
                if (inScan) {
                    return true;
                }
                continue; // EOI before any scan: not the image's end
            }
            int length = in.readUnsignedShort();
            if (!present(in, in.getStreamPosition() + length - 2)) {
                return false;
            }
            inScan |= marker == 0xDA;
        }
    }

    /**
     * Whether a PNG has all its chunks complete, at least one IDAT, and simply stops where IEND
     * should be. Pillow decodes such files (it stops reading chunks at end of file); the JDK
     * reader does not.
     */
    static boolean pngMissingOnlyIend(ImageInputStream in) throws IOException {
        PngWalk walk = pngEnd(in);
        return walk.end() == PngEnd.BETWEEN_CHUNKS && walk.idat();
    }

    /**
     * The format of the image a BMP embeds in place of pixels ({@code BI_JPEG}, {@code BI_PNG}), or
     * null: its size is the embedded image's own, whatever the BMP header says.
     */
    static String bmpEmbeddedFormat(ImageInputStream in) throws IOException {
        in.setByteOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        try {
            in.seek(14);
            long headerSize = in.readUnsignedInt();
            if (headerSize < 40) {
                return null; // OS/2 headers have no compression field
            }
            in.seek(30);
            long compression = in.readUnsignedInt();
            return compression == 4 ? "JPEG" : compression == 5 ? "PNG" : null;
        } catch (EOFException e) {
            return null;
        } finally {
            in.setByteOrder(java.nio.ByteOrder.BIG_ENDIAN);
        }
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
