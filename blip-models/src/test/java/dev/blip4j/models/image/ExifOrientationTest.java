package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** EXIF orientation: ignored by default like PIL, applied like {@code ImageOps.exif_transpose} on request. */
class ExifOrientationTest {

    /** 3x2 image whose pixel (x, y) has red = 10 * x + y, so every position is identifiable. */
    private static RgbImage labelled() {
        byte[] px = new byte[3 * 2 * 3];
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                px[(y * 3 + x) * 3] = (byte) (10 * x + y);
            }
        }
        return new RgbImage(3, 2, px);
    }

    private static int[][] reds(RgbImage img) {
        int[][] r = new int[img.height()][img.width()];
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                r[y][x] = img.get(x, y, 0);
            }
        }
        return r;
    }

    @Test
    void eachOrientationMapsPixelsAsPillowsTranspose() {
        // Source rows: [0 10 20] / [1 11 21]. Expected results of Image.transpose(method).
        RgbImage src = labelled();
        int[][][] expected = {
            null,
            {{0, 10, 20}, {1, 11, 21}},          // 1 identity
            {{20, 10, 0}, {21, 11, 1}},          // 2 FLIP_LEFT_RIGHT
            {{21, 11, 1}, {20, 10, 0}},          // 3 ROTATE_180
            {{1, 11, 21}, {0, 10, 20}},          // 4 FLIP_TOP_BOTTOM
            {{0, 1}, {10, 11}, {20, 21}},        // 5 TRANSPOSE
            {{1, 0}, {11, 10}, {21, 20}},        // 6 ROTATE_270 (90 degrees clockwise)
            {{21, 20}, {11, 10}, {1, 0}},        // 7 TRANSVERSE
            {{20, 21}, {10, 11}, {0, 1}},        // 8 ROTATE_90 (counter-clockwise)
        };
        for (int o = 1; o <= 8; o++) {
            assertEquals(java.util.Arrays.deepToString(expected[o]),
                    java.util.Arrays.deepToString(reds(ExifOrientation.apply(src, o))), "orientation " + o);
        }
    }

    /** A TIFF block holding only IFD0 with Orientation = {@code value}. */
    static byte[] exifBlock(int value, boolean littleEndian) {
        byte[] b = new byte[6 + 8 + 2 + 12 + 4];
        System.arraycopy(new byte[] {'E', 'x', 'i', 'f', 0, 0}, 0, b, 0, 6);
        int t = 6;
        if (littleEndian) {
            b[t] = 'I';
            b[t + 1] = 'I';
            b[t + 2] = 42;
            b[t + 4] = 8;
            b[t + 8] = 1;
            b[t + 10] = 0x12;
            b[t + 11] = 0x01;
            b[t + 12] = 3;
            b[t + 14] = 1;
            b[t + 18] = (byte) value;
        } else {
            b[t] = 'M';
            b[t + 1] = 'M';
            b[t + 3] = 42;
            b[t + 7] = 8;
            b[t + 9] = 1;
            b[t + 10] = 0x01;
            b[t + 11] = 0x12;
            b[t + 13] = 3;
            b[t + 17] = 1;
            b[t + 19] = (byte) value;
        }
        return b;
    }

    @Test
    void parsesBothByteOrdersAndIgnoresJunk() {
        for (int v = 1; v <= 8; v++) {
            assertEquals(v, ExifOrientation.parse(exifBlock(v, true)));
            assertEquals(v, ExifOrientation.parse(exifBlock(v, false)));
        }
        assertEquals(1, ExifOrientation.parse(null));
        assertEquals(1, ExifOrientation.parse(new byte[] {1, 2, 3}));
        assertEquals(1, ExifOrientation.parse(exifBlock(9, true)));
        byte[] cut = java.util.Arrays.copyOf(exifBlock(6, true), 20);
        assertEquals(1, ExifOrientation.parse(cut));
    }

    /** A JPEG with an APP1 Exif segment (orientation {@code value}) inserted after SOI. */
    static byte[] jpegWithOrientation(BufferedImage img, int value) throws IOException {
        byte[] jpeg = ImageLoaderFormatsTest.toBytes(img, "jpeg");
        byte[] exif = exifBlock(value, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xFF);
        out.write(0xE1);
        out.write((exif.length + 2) >> 8);
        out.write(exif.length + 2);
        out.write(exif);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 6, 8})
    void jpegOrientationIsIgnoredByDefaultAndAppliedOnRequest(int orientation) throws IOException {
        BufferedImage img = ImageLoaderFormatsTest.pattern(40, 24, BufferedImage.TYPE_3BYTE_BGR);
        byte[] tagged = jpegWithOrientation(img, orientation);
        RgbImage asStored = ImageLoader.defaults().load(tagged);
        assertEquals(ImageLoader.defaults().load(ImageLoaderFormatsTest.toBytes(img, "jpeg")), asStored,
                "PIL does not rotate on open");
        RgbImage rotated = ImageLoader.builder().applyExifOrientation(true).build().load(tagged);
        assertEquals(ExifOrientation.apply(asStored, orientation), rotated);
        assertEquals(orientation >= 5 ? 24 : 40, rotated.width());
    }

    @Test
    void pngExifChunkIsHonouredOnRequest() {
        byte[] png = new PngBytes().ihdr(3, 2, 8, 2)
                .chunk("eXIf", java.util.Arrays.copyOfRange(exifBlock(6, true), 6, 32))
                .idat(new byte[][] {PngBytes.u8(0, 0, 0, 10, 0, 0, 20, 0, 0), PngBytes.u8(1, 0, 0, 11, 0, 0, 21, 0, 0)})
                .end();
        assertEquals(labelled(), ImageLoader.defaults().load(png));
        RgbImage rotated = ImageLoader.builder().applyExifOrientation(true).build().load(png);
        assertEquals(ExifOrientation.apply(labelled(), 6), rotated);
    }
}
