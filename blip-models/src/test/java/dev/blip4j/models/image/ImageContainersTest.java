package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import dev.blip4j.models.testing.Golden;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images that hide their size or their format, and files whose structure walks used to take
 * minutes. The pixel limit is lowered so that small files show what big ones did: before these
 * checks, an embedded image a hundred times the limit decoded in full.
 */
class ImageContainersTest {

    /** A hundredth of a 100x100 embedded image: BMP and ICO headers claim 1x1. */
    private static final ImageLoader SMALL = ImageLoader.builder().maxPixels(100).build();

    @TempDir
    Path dir;

    @Test
    void bmpWithAnEmbeddedPngIsRefusedWhateverItsHeaderSays() throws IOException {
        byte[] bmp = Containers.bmp(1, 1, Containers.BI_PNG, ImageLoaderFormatsTest.toBytes(image(100, 100), "png"));
        InputException e = assertThrows(InputException.class, () -> SMALL.load(bmp));
        assertEquals("<bytes>: a BMP holding a PNG image (BI_PNG compression), which Pillow refuses as unsupported and"
                + " blip4j does not decode", e.getMessage());
    }

    @Test
    void bmpWithAnEmbeddedJpegIsRefusedWhateverItsHeaderSays() throws IOException {
        byte[] bmp = Containers.bmp(1, 1, Containers.BI_JPEG, ImageLoaderFormatsTest.toBytes(image(100, 100), "jpeg"));
        InputException e = assertThrows(InputException.class, () -> ImageLoader.defaults().load(bmp));
        assertTrue(e.getMessage().contains("a BMP holding a JPEG image (BI_JPEG compression)"), e.getMessage());
    }

    @Test
    void icoIsRefusedByContentEvenNamedPng() throws IOException {
        byte[] png = ImageLoaderFormatsTest.toBytes(image(100, 100), "png");
        Path f = Files.write(dir.resolve("photo.png"), Containers.ico(1, 1, png));
        InputException e = assertThrows(InputException.class, () -> SMALL.load(f));
        assertEquals(f + ": an ICO icon, not a supported format (supported: JPEG, PNG, GIF, BMP, WebP)", e.getMessage());
    }

    @Test
    void otherContainersAreNamedAndRefused() throws IOException {
        byte[] tiff = ImageLoaderFormatsTest.toBytes(image(8, 8), "tiff"); // the JDK writes and reads TIFF
        assertTrue(assertThrows(InputException.class, () -> ImageLoader.defaults().load(tiff)).getMessage()
                .contains("a TIFF image, not a supported format"));
    }

    @Test
    void formatsAreToldByContentNotName() throws IOException {
        Path jpegNamedPng = Files.write(dir.resolve("really-a-jpeg.png"),
                ImageLoaderFormatsTest.toBytes(image(16, 8), "jpeg"));
        RgbImage img = ImageLoader.defaults().load(jpegNamedPng);
        assertEquals(16, img.width());
        assertEquals(8, img.height());
    }

    /** The PNG signature followed by zeros: 48 MB took 86 s (unbuffered reads of empty chunks of type 0). */
    @Test
    void pngSignatureAndZerosIsCorruptAtOnce() throws IOException {
        Path f = dir.resolve("zeros.png");
        try (OutputStream out = Files.newOutputStream(f)) {
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 48; i++) {
                out.write(zeros);
            }
        }
        InputException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(InputException.class, () -> ImageLoader.defaults().load(f)));
        assertTrue(e.getMessage().startsWith(f + ": corrupt or unsupported PNG data"), e.getMessage());
    }

    @Test
    void chunkTypesMustBeFourLetters() {
        assertTrue(FileStructure.isChunkType(0x49444154)); // IDAT
        assertTrue(FileStructure.isChunkType(0x74455874)); // tEXt
        assertTrue(!FileStructure.isChunkType(0) && !FileStructure.isChunkType(0x49444134)
                && !FileStructure.isChunkType(0x49444154 | 0x80));
    }

    /**
     * Pillow 9.4's {@code Image.new("RGB", (4000, 4000)).save(f, lossless=True)}, 678 bytes:
     * TwelveMonkeys 3.12 refused it ("Coordinate out of bounds!"). Lossless, so the pixels are
     * those encoded: all zero, as Pillow decodes them.
     */
    @Test
    void pillowsLosslessBlackWebpDecodesToItsPixels() {
        RgbImage img = ImageLoader.defaults().load(Golden.root().getParent().resolve("image-formats")
                .resolve("pillow_lossless_black_4000.webp"));
        assertEquals(4000, img.width());
        assertEquals(4000, img.height());
        byte[] px = img.pixels();
        assertEquals(48_000_000, px.length);
        for (int i = 0; i < px.length; i++) {
            if (px[i] != 0) {
                throw new AssertionError("byte " + i + " is " + px[i]);
            }
        }
    }

    private static BufferedImage image(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 2) << 16 | (y * 2) << 8 | 0x80);
            }
        }
        return img;
    }
}
