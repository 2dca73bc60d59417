package dev.blip4j.models.image;

import com.twelvemonkeys.imageio.stream.BufferedFileImageInputStream;
import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Encoded image bytes that can be opened more than once, with the name used in error messages.
 *
 * <p>Decoding reads the data several times: once to sniff the header (size limit, JPEG colour
 * transform, EXIF orientation), once to decode, and once more after a failure to tell a truncated
 * file from a corrupt one. Files are re-opened; in-memory data is wrapped again. Neither ImageIO's
 * global cache setting nor temporary files are involved.
 */
final class ImageSource {

    private final String name;
    private final Path path;
    private final byte[] bytes;

    private ImageSource(String name, Path path, byte[] bytes) {
        this.name = name;
        this.path = path;
        this.bytes = bytes;
    }

    static ImageSource of(Path path) {
        Objects.requireNonNull(path, "path");
        return new ImageSource(path.toString(), path, null);
    }

    static ImageSource of(byte[] bytes, String name) {
        Objects.requireNonNull(bytes, "bytes");
        return new ImageSource(name, null, bytes);
    }

    /** How error messages refer to this input: the file path, or e.g. {@code <bytes>}. */
    String name() {
        return name;
    }

    /**
     * A fresh stream positioned at the first byte; the caller closes it. Streams are buffered:
     * decoders and the structure walks read a few bytes at a time, and the JDK's
     * {@code FileImageInputStream} turns each read into a system call (a lossless WebP took 35 s).
     */
    ImageInputStream open() throws IOException {
        if (bytes != null) {
            return new ByteArrayImageInputStream(bytes);
        }
        if (path.getFileSystem() == java.nio.file.FileSystems.getDefault()) {
            return new BufferedFileImageInputStream(path.toFile());
        }
        // Paths in other file systems (zip, jimfs) have no java.io.File; read them through NIO.
        return new MemoryCacheImageInputStream(Files.newInputStream(path));
    }

    /**
     * This input with an IEND chunk appended, for PNGs that end right where IEND belongs (Pillow
     * reads them; the JDK reader insists on IEND). Reads a file into memory.
     */
    ImageSource withPngEnd() throws IOException {
        byte[] data = bytes != null ? bytes : Files.readAllBytes(path);
        byte[] iend = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82};
        byte[] out = java.util.Arrays.copyOf(data, data.length + iend.length);
        System.arraycopy(iend, 0, out, data.length, iend.length);
        return new ImageSource(name, null, out);
    }

    /** Total size in bytes, or -1 when not known cheaply. */
    long size() {
        if (bytes != null) {
            return bytes.length;
        }
        try {
            return Files.size(path);
        } catch (IOException e) {
            return -1;
        }
    }
}
