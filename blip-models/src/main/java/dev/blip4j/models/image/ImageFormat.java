package dev.blip4j.models.image;

import dev.blip4j.core.InputException;
import java.util.Locale;

/**
 * The formats blip4j decodes, told by a file's first bytes as Pillow tells them, never by its name.
 * ImageIO would pick a reader for anything a plug-in on the class path claims (ICO, CUR, TIFF,
 * WBMP), and an ICO holds PNG or BMP images whose size its directory need not tell: only these five
 * reach a decoder, each through the reader of its own format.
 */
enum ImageFormat {
    JPEG,
    PNG,
    GIF,
    BMP,
    WEBP;

    static final String SUPPORTED = "JPEG, PNG, GIF, BMP, WebP";

    /** The lower-case name ImageIO readers report for this format. */
    String readerName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The format of data starting with {@code head} (its first {@code n} bytes, at least 12 when
     * the data has them).
     *
     * @throws InputException naming the container when it is a known one blip4j does not read, or
     *     saying what the data looks like otherwise
     */
    static ImageFormat of(byte[] head, int n, String name) {
        if (starts(head, n, 0xFF, 0xD8, 0xFF)) {
            return JPEG;
        }
        if (starts(head, n, 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n')) {
            return PNG;
        }
        if (GifFirstFrame.isGif(head, n)) {
            return GIF;
        }
        if (starts(head, n, 'B', 'M')) {
            return BMP;
        }
        if (starts(head, n, 'R', 'I', 'F', 'F') && n >= 12 && head[8] == 'W' && head[9] == 'E' && head[10] == 'B'
                && head[11] == 'P') {
            return WEBP;
        }
        String known = container(head, n);
        if (known != null) {
            throw new InputException(name + ": " + known + ", not a supported format (supported: " + SUPPORTED + ")");
        }
        throw new InputException(name + ": not an image or an unsupported format (supported: " + SUPPORTED
                + (looksLikeText(head, n) ? "; the data looks like text" : "") + ")");
    }

    /** What a container blip4j refuses is, by its magic number, or null. */
    private static String container(byte[] head, int n) {
        if (starts(head, n, 0, 0, 1, 0)) {
            return "an ICO icon";
        }
        if (starts(head, n, 0, 0, 2, 0)) {
            return "a CUR cursor";
        }
        if (starts(head, n, 'I', 'I', '*', 0) || starts(head, n, 'M', 'M', 0, '*')) {
            return "a TIFF image";
        }
        if (starts(head, n, '8', 'B', 'P', 'S')) {
            return "a Photoshop document";
        }
        if (n >= 12 && head[4] == 'f' && head[5] == 't' && head[6] == 'y' && head[7] == 'p') {
            return "an ISO media file (HEIC, AVIF or video)";
        }
        if (starts(head, n, 0, 0, 0, 0x0C, 'j', 'P', ' ', ' ') || starts(head, n, 0xFF, 0x4F, 0xFF, 0x51)) {
            return "a JPEG 2000 image";
        }
        return null;
    }

    private static boolean starts(byte[] head, int n, int... magic) {
        if (n < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((head[i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean looksLikeText(byte[] head, int n) {
        if (n <= 0) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            int b = head[i] & 0xFF;
            if (b < 0x09 || (b > 0x0D && b < 0x20) || b == 0x7F) {
                return false;
            }
        }
        return true;
    }
}
