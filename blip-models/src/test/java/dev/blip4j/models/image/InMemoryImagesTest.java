package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.modality.cv.BufferedImageFactory;
import ai.djl.modality.cv.Image;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** {@link BufferedImage} and DJL {@link Image} inputs, converted by the same mode rules as files. */
class InMemoryImagesTest {

    private static final ImageLoader LOADER = ImageLoader.defaults();

    @Test
    void everyCommonBufferedImageTypeGivesTheSameRgb() {
        BufferedImage ref = ImageLoaderFormatsTest.pattern(31, 19, BufferedImage.TYPE_INT_RGB);
        RgbImage expected = ImageLoaderFormatsTest.expectedRgb(ref);
        int[] types = {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR,
            BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR};
        for (int type : types) {
            BufferedImage img = new BufferedImage(31, 19, type);
            img.getGraphics().drawImage(ref, 0, 0, null);
            assertEquals(expected, LOADER.fromBufferedImage(img), "type " + type);
        }
    }

    @Test
    void callersPixelsAreCopiedNotReused() {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_3BYTE_BGR);
        img.setRGB(1, 1, 0x123456);
        RgbImage a = LOADER.fromBufferedImage(img);
        img.setRGB(1, 1, 0x654321);
        assertEquals(0x123456, a.rgb(1, 1));
        assertEquals(0x654321, LOADER.fromBufferedImage(img).rgb(1, 1));
    }

    @Test
    void alphaIsDroppedNotComposited() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00FF8040); // fully transparent, colour kept
        img.setRGB(1, 0, 0x80102030);
        RgbImage rgb = LOADER.fromBufferedImage(img);
        assertEquals(0xFF8040, rgb.rgb(0, 0));
        assertEquals(0x102030, rgb.rgb(1, 0));
    }

    @Test
    void premultipliedAlphaIsUndoneLikePillowRgbaToRgb() {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB_PRE);
        // Stored premultiplied samples (a=128): r=100, g=50, b=0 -> 255*100/128 = 199, 255*50/128 = 99.
        img.getRaster().setPixel(0, 0, new int[] {100, 50, 0, 128});
        assertEquals(199 << 16 | 99 << 8, LOADER.fromBufferedImage(img).rgb(0, 0));
    }

    @Test
    void greyImagesKeepTheirStoredLevels() {
        BufferedImage gray = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setPixels(0, 0, 3, 1, new int[] {0, 64, 200});
        RgbImage rgb = LOADER.fromBufferedImage(gray);
        // getRGB() would return 0x898989 for 64: Java treats TYPE_BYTE_GRAY as linear light.
        assertArrayEquals(new int[] {0, 0x404040, 0xC8C8C8}, new int[] {rgb.rgb(0, 0), rgb.rgb(1, 0), rgb.rgb(2, 0)});
        BufferedImage gray16 = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        gray16.getRaster().setPixels(0, 0, 3, 1, new int[] {7, 255, 40000});
        RgbImage rgb16 = LOADER.fromBufferedImage(gray16);
        assertArrayEquals(new int[] {0x070707, 0xFFFFFF, 0xFFFFFF},
                new int[] {rgb16.rgb(0, 0), rgb16.rgb(1, 0), rgb16.rgb(2, 0)});
    }

    @Test
    void subimagesUseTheirOwnOrigin() {
        BufferedImage big = ImageLoaderFormatsTest.pattern(50, 40, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage sub = big.getSubimage(7, 5, 20, 10);
        assertEquals(ImageLoaderFormatsTest.expectedRgb(sub), LOADER.fromBufferedImage(sub));
        BufferedImage bigInt = ImageLoaderFormatsTest.pattern(50, 40, BufferedImage.TYPE_INT_ARGB);
        BufferedImage subInt = bigInt.getSubimage(3, 9, 11, 13);
        assertEquals(ImageLoaderFormatsTest.expectedRgb(subInt), LOADER.fromBufferedImage(subInt));
    }

    @Test
    void binaryAndIndexedImagesUseTheirPalette() {
        BufferedImage bin = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_BINARY);
        bin.setRGB(1, 0, 0xFFFFFF);
        RgbImage rgb = LOADER.fromBufferedImage(bin);
        assertArrayEquals(new int[] {0, 0xFFFFFF, 0}, new int[] {rgb.rgb(0, 0), rgb.rgb(1, 0), rgb.rgb(2, 0)});
        BufferedImage idx = ImageLoaderFormatsTest.indexed(6, 4, 2);
        assertEquals(ImageLoaderFormatsTest.expectedRgb(idx), LOADER.fromBufferedImage(idx));
    }

    @Test
    void djlImageWrappingABufferedImage() {
        BufferedImage img = ImageLoaderFormatsTest.pattern(12, 9, BufferedImage.TYPE_INT_ARGB);
        Image djl = BufferedImageFactory.getInstance().fromImage(img);
        assertEquals(ImageLoaderFormatsTest.expectedRgb(img), LOADER.fromDjlImage(djl));
    }

    @Test
    void djlImageOfAnotherKindIsReadThroughItsPngEncoding() {
        BufferedImage img = ImageLoaderFormatsTest.pattern(12, 9, BufferedImage.TYPE_INT_RGB);
        // An Image implementation that does not wrap a BufferedImage (like OpenCV's Mat-based one).
        Image other = (Image) Proxy.newProxyInstance(Image.class.getClassLoader(), new Class<?>[] {Image.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getWrappedImage" -> "a native image handle";
                    case "getWidth" -> 12;
                    case "getHeight" -> 9;
                    case "save" -> {
                        ImageIO.write(img, (String) args[1], (OutputStream) args[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        assertEquals(ImageLoaderFormatsTest.expectedRgb(img), LOADER.fromDjlImage(other));
    }

    @Test
    void rgbImageValidatesItsArray() {
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(0, 1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(2, 2, new byte[11]));
        assertThrows(NullPointerException.class, () -> new RgbImage(1, 1, null));
        RgbImage img = new RgbImage(2, 1, new byte[] {1, 2, 3, 4, 5, 6});
        assertEquals(new RgbImage(2, 1, new byte[] {1, 2, 3, 4, 5, 6}), img);
        assertEquals("RgbImage[2x1]", img.toString());
        assertEquals(0x040506, img.rgb(1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> img.get(2, 0, 0));
    }
}
