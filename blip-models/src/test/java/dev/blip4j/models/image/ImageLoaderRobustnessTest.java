package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.blip4j.core.InputException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and broken inputs: every failure must be an {@link InputException} that names the input
 * and the problem - never a decoder exception, an {@link OutOfMemoryError} or a half-decoded image.
 */
class ImageLoaderRobustnessTest {

    @TempDir
    Path dir;

    private static final ImageLoader LOADER = ImageLoader.defaults();

    private static InputException refused(Runnable r) {
        return assertThrows(InputException.class, r::run);
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "message '" + message + "' should contain '" + p + "'");
        }
    }

    /** A photo-like image big enough that cutting it lands in the middle of the pixel data. */
    private static BufferedImage noisy(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Random rnd = new Random(5);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rnd.nextInt(1 << 24));
            }
        }
        return img;
    }

    @ParameterizedTest
    @ValueSource(strings = {"png", "jpeg", "gif", "bmp"})
    void filesCutInTheMiddleAreRefusedAsTruncated(String format) throws IOException {
        byte[] full = ImageLoaderFormatsTest.toBytes(noisy(256, 192), format);
        Path f = dir.resolve("cut." + format);
        Files.write(f, Arrays.copyOf(full, full.length * 6 / 10));
        InputException e = refused(() -> LOADER.load(f));
        assertContains(e.getMessage(), f.toString(), "truncated");
    }

    @Test
    void jpegMissingOnlyItsEndMarkerIsTruncated() throws IOException {
        // libjpeg suspends waiting for more data and Pillow raises "image file is truncated".
        byte[] full = ImageLoaderFormatsTest.toBytes(noisy(64, 48), "jpeg");
        InputException e = refused(() -> LOADER.load(Arrays.copyOf(full, full.length - 2)));
        assertContains(e.getMessage(), "<bytes>", "truncated", "JPEG");
    }

    @Test
    void truncatedJpegWithAnExifThumbnailIsStillTruncated() throws IOException {
        // The APP1 segment carries a whole thumbnail JPEG, i.e. an FF D9 before the main image's
        // data; it must not be mistaken for the end of the main image.
        byte[] thumb = ImageLoaderFormatsTest.toBytes(noisy(16, 16), "jpeg");
        byte[] main = ImageLoaderFormatsTest.toBytes(noisy(256, 192), "jpeg");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(main, 0, 2);
        byte[] app1 = new byte[6 + thumb.length];
        System.arraycopy(new byte[] {'E', 'x', 'i', 'f', 0, 0}, 0, app1, 0, 6);
        System.arraycopy(thumb, 0, app1, 6, thumb.length);
        out.write(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) ((app1.length + 2) >> 8), (byte) (app1.length + 2)});
        out.write(app1);
        out.write(main, 2, main.length - 2);
        byte[] full = out.toByteArray();
        assertEquals(256, LOADER.load(full).width());
        InputException e = refused(() -> LOADER.load(Arrays.copyOf(full, full.length * 7 / 10)));
        assertContains(e.getMessage(), "truncated");
    }

    @Test
    void pngEndingWhereIendBelongsIsReadLikePillowDoes() throws IOException {
        byte[] full = ImageLoaderFormatsTest.toBytes(noisy(40, 30), "png");
        byte[] noIend = Arrays.copyOf(full, full.length - 12);
        assertEquals(LOADER.load(full), LOADER.load(noIend));
        Path f = dir.resolve("no-iend.png");
        Files.write(f, noIend);
        assertEquals(LOADER.load(full), LOADER.load(f));
    }

    @Test
    void truncatedLosslessWebpIsRefused() throws IOException {
        byte[] full = Files.readAllBytes(ReferenceDecodeTest.dir().resolve("lossless.webp"));
        InputException e = refused(() -> LOADER.load(Arrays.copyOf(full, full.length / 2)));
        assertContains(e.getMessage(), "<bytes>", "truncated WEBP");
    }

    @Test
    void losslessWebpShorterThanItsRiffSizeIsRefusedBeforeDecoding() throws IOException {
        // Found by fuzzing: 989 bytes of a 1,202-byte VP8L image declaring 96x9245 pixels, which the
        // decoder padded with zeros (and decoded, 50 times slower per pixel than a whole file)
        byte[] cut;
        try (var in = getClass().getResourceAsStream("ImageLoaderFuzzTestInputs/decode/truncated-vp8l-padded-with-zeros")) {
            cut = in.readAllBytes();
        }
        InputException e = refused(() -> LOADER.load(cut));
        assertContains(e.getMessage(), "<bytes>", "truncated WEBP");
    }

    @Test
    void losslessWebpNeedingBitsPastItsDataIsRefused() throws IOException {
        // Found by fuzzing: whole 1.2-1.6 kB VP8L files declaring 96x9245 pixels whose bitstream runs
        // out; the decoder padded each read past the end with zeros at one exception per symbol (over
        // 20 s under the fuzzer). libwebp 1.2 refuses both: "Status: 3(BITSTREAM_ERROR)".
        for (String name : new String[] {"vp8l-reads-past-its-data", "vp8l-reads-past-its-data-2"}) {
            byte[] file;
            try (var in = getClass().getResourceAsStream("ImageLoaderFuzzTestInputs/decode/" + name)) {
                file = in.readAllBytes();
            }
            InputException e = refused(() -> LOADER.load(file));
            assertContains(e.getMessage(), "<bytes>", "truncated WEBP");
        }
    }

    @Test
    void losslessWebpWhoseBitReaderLooksPastTheEndDecodes() throws IOException {
        // cwebp -lossless of a solid 640x480 image: 56 bytes, the last symbols read inside the bit
        // reader's lookahead window past the end of the file (dwebp decodes it to the same colour)
        RgbImage image;
        try (var in = getClass().getResourceAsStream("solid-640x480-lossless.webp")) {
            image = LOADER.load(in);
        }
        byte[] solid = new byte[640 * 480 * 3];
        for (int i = 0; i < solid.length; i += 3) {
            solid[i] = (byte) 200;
            solid[i + 1] = 30;
            solid[i + 2] = 40;
        }
        assertEquals(new RgbImage(640, 480, solid), image);
    }

    @Test
    void everyPrefixOfSmallFilesIsEitherCompleteOrAnInputException() throws IOException {
        BufferedImage img = ImageLoaderFormatsTest.pattern(23, 17, BufferedImage.TYPE_3BYTE_BGR);
        for (String format : new String[] {"png", "jpeg", "gif", "bmp"}) {
            byte[] full = ImageLoaderFormatsTest.toBytes(img, format);
            RgbImage whole = LOADER.load(full);
            for (int n = 0; n < full.length; n++) {
                byte[] cut = Arrays.copyOf(full, n);
                try {
                    RgbImage partial = LOADER.load(cut);
                    // Only trailing bytes after the pixel data may be missing (e.g. GIF trailer).
                    assertEquals(whole, partial, format + " cut at " + n + " of " + full.length);
                } catch (InputException expected) {
                    // fine
                } catch (RuntimeException | Error other) {
                    fail(format + " cut at " + n + " threw " + other, other);
                }
            }
        }
    }

    @Test
    void randomCorruptionNeverEscapesAsAnotherException() throws IOException {
        BufferedImage img = ImageLoaderFormatsTest.pattern(40, 30, BufferedImage.TYPE_3BYTE_BGR);
        Random rnd = new Random(11);
        for (String format : new String[] {"png", "jpeg", "gif", "bmp"}) {
            byte[] full = ImageLoaderFormatsTest.toBytes(img, format);
            for (int trial = 0; trial < 150; trial++) {
                byte[] bad = full.clone();
                int flips = 1 + rnd.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
                }
                try {
                    LOADER.load(bad);
                } catch (InputException expected) {
                    // fine
                } catch (RuntimeException | Error other) {
                    fail(format + " trial " + trial + " threw " + other, other);
                }
            }
        }
        byte[] webp = Files.readAllBytes(ReferenceDecodeTest.dir().resolve("lossy_q80.webp"));
        for (int trial = 0; trial < 100; trial++) {
            byte[] bad = webp.clone();
            bad[12 + rnd.nextInt(bad.length - 12)] = (byte) rnd.nextInt(256);
            try {
                LOADER.load(bad);
            } catch (InputException expected) {
                // fine
            } catch (RuntimeException | Error other) {
                fail("webp trial " + trial + " threw " + other, other);
            }
        }
    }

    @Test
    void textFileIsNotAnImage() throws IOException {
        Path f = dir.resolve("notes.txt");
        Files.writeString(f, "This is not an image, just some text.\n", StandardCharsets.UTF_8);
        InputException e = refused(() -> LOADER.load(f));
        assertContains(e.getMessage(), f.toString(), "not an image");
    }

    @Test
    void emptyInputsAreRefused() throws IOException {
        Path f = dir.resolve("empty.png");
        Files.write(f, new byte[0]);
        assertContains(refused(() -> LOADER.load(f)).getMessage(), f.toString(), "empty");
        assertContains(refused(() -> LOADER.load(new byte[0])).getMessage(), "<bytes>", "empty");
        assertContains(refused(() -> LOADER.load(new ByteArrayInputStream(new byte[0]))).getMessage(),
                "<stream>", "empty");
    }

    @Test
    void missingFileNamesThePath() {
        Path f = dir.resolve("does-not-exist.jpg");
        assertContains(refused(() -> LOADER.load(f)).getMessage(), f.toString());
    }

    @Test
    void pngDecompressionBombIsRefusedFromTheHeader() throws IOException {
        // IHDR declares 100000x100000 RGB; the IDAT is a few bytes of garbage. Refused before any
        // decoding: the garbage is never looked at, and nothing large is allocated.
        byte[] png = new PngBytes().ihdr(100000, 100000, 8, 2)
                .chunk("IDAT", new byte[] {0x78, (byte) 0x9C, 1, 2, 3, 4}).end();
        Path f = dir.resolve("bomb.png");
        Files.write(f, png);
        InputException e = refused(() -> LOADER.load(f));
        assertContains(e.getMessage(), f.toString(),
                "100000x100000 = 10000000000 pixels exceeds the limit of 178956970", "maxPixels");
    }

    @Test
    void gifJpegAndBmpBombsAreRefusedFromTheHeader() {
        // GIF: 65535x65535 logical screen and image descriptor, no real data.
        byte[] gif = {'G', 'I', 'F', '8', '9', 'a', (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 0, 0,
            0x2C, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 8, 1, 0, 0, 0x3B};
        assertContains(refused(() -> LOADER.load(gif)).getMessage(),
                "65535x65535 = 4294836225 pixels exceeds the limit of 178956970");
        // JPEG: SOI, SOF0 65535x65535 with 3 components, then EOI.
        byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0, 17, 8, (byte) 0xFF, (byte) 0xFF,
            (byte) 0xFF, (byte) 0xFF, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, (byte) 0xFF, (byte) 0xD9};
        assertContains(refused(() -> LOADER.load(jpeg)).getMessage(),
                "65535x65535 = 4294836225 pixels exceeds the limit");
        // BMP: BITMAPINFOHEADER declaring 100000x100000 at 24 bits.
        byte[] bmp = new byte[54];
        bmp[0] = 'B';
        bmp[1] = 'M';
        le32(bmp, 2, 54);
        le32(bmp, 10, 54);
        le32(bmp, 14, 40);
        le32(bmp, 18, 100000);
        le32(bmp, 22, 100000);
        bmp[26] = 1;
        bmp[28] = 24;
        assertContains(refused(() -> LOADER.load(bmp)).getMessage(),
                "100000x100000 = 10000000000 pixels exceeds the limit");
    }

    private static void le32(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
        b[at + 2] = (byte) (v >> 16);
        b[at + 3] = (byte) (v >> 24);
    }

    @Test
    void theLimitIsConfigurable() throws IOException {
        byte[] png = ImageLoaderFormatsTest.toBytes(noisy(100, 100), "png");
        ImageLoader strict = ImageLoader.builder().maxPixels(9_999).build();
        assertContains(refused(() -> strict.load(png)).getMessage(),
                "100x100 = 10000 pixels exceeds the limit of 9999");
        assertEquals(100, ImageLoader.builder().maxPixels(10_000).build().load(png).width());
        assertEquals(178_956_970L, ImageLoader.DEFAULT_MAX_PIXELS);
        assertEquals(89_478_485L, ImageLoader.PIL_MAX_IMAGE_PIXELS);
        assertThrows(IllegalArgumentException.class, () -> ImageLoader.builder().maxPixels(0));
    }

    @Test
    void zeroSizeImagesAreRefused() {
        byte[] png = new PngBytes().ihdr(0, 10, 8, 2).idat(new byte[0][]).end();
        assertContains(refused(() -> LOADER.load(png)).getMessage(), "<bytes>", "zero-size image (0x10)");
        byte[] gif = {'G', 'I', 'F', '8', '9', 'a', 0, 0, 5, 0, 0, 0, 0,
            0x2C, 0, 0, 0, 0, 0, 0, 5, 0, 0, 2, 2, 0x44, 1, 0, 0x3B};
        assertContains(refused(() -> LOADER.load(gif)).getMessage(), "zero-size image (0x5)");
    }

    @Test
    void corruptPixelDataIsReportedAsCorruptNotTruncated() {
        // Structurally complete PNG whose IDAT is not a zlib stream.
        byte[] png = new PngBytes().ihdr(4, 4, 8, 2).chunk("IDAT", new byte[] {1, 2, 3, 4, 5, 6, 7, 8}).end();
        InputException e = refused(() -> LOADER.load(png));
        assertContains(e.getMessage(), "<bytes>", "corrupt", "PNG");
    }

    /**
     * A 20000x20000 RGB image (1.2 GB of pixels) loads and resizes within surefire's 4 GB heap once
     * the limit is raised; with the default limit it is refused from the header.
     */
    @Test
    void twentyThousandSquaredIsRefusedByDefaultAndResizesWhenAllowed() throws IOException {
        int n = 20000;
        Path f = dir.resolve("huge.png");
        try (OutputStream out = Files.newOutputStream(f)) {
            PngBytes.writeLargeRgb(out, n, n, (x, y) -> (x * 255 / (n - 1)) << 16 | (y * 255 / (n - 1)) << 8 | 0x40);
        }
        assertContains(refused(() -> LOADER.load(f)).getMessage(),
                "20000x20000 = 400000000 pixels exceeds the limit of 178956970");

        long t0 = System.nanoTime();
        RgbImage big = ImageLoader.builder().maxPixels(400_000_000L).build().load(f);
        long t1 = System.nanoTime();
        assertEquals(n, big.width());
        assertEquals(n, big.height());
        RgbImage small = PilResize.resize(big, 384, 384);
        long t2 = System.nanoTime();
        big = null; // let the 1.2 GB go before checking
        System.out.printf("20000x20000 PNG: decode %.1f s, resize to 384x384 %.1f s, max heap %d MiB%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, Runtime.getRuntime().maxMemory() >> 20);
        assertEquals(384, small.width());
        for (int x = 1; x < 384; x++) {
            assertTrue(small.get(x, 200, 0) >= small.get(x - 1, 200, 0), "red grows along x");
        }
        for (int y = 1; y < 384; y++) {
            assertTrue(small.get(200, y, 1) >= small.get(200, y - 1, 1), "green grows along y");
        }
        assertEquals(0x40, small.get(100, 100, 2));
        assertTrue(small.get(0, 0, 0) < 2 && small.get(383, 0, 0) > 253);
    }
}
