package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding of each format and PIL mode into what {@code Image.open(f).convert("RGB")} gives, on the
 * golden PNGs and on files written or hand-made at test time.
 */
class ImageLoaderFormatsTest {

    @TempDir
    Path dir;

    private static final ImageLoader LOADER = ImageLoader.defaults();

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void goldenPngsDecodeToTheRawGoldenBytes(int k) throws Exception {
        Path root = GoldenTensors.resources().resolve("golden");
        GoldenTensors golden = GoldenTensors.read(root.resolve("caption/inputs.safetensors"));
        int[] shape = golden.shape("image" + k + ".raw_uint8_hwc");
        Path png = root.resolve("images/image" + k + ".png");
        RgbImage decoded = LOADER.load(png);
        assertEquals(shape[1], decoded.width());
        assertEquals(shape[0], decoded.height());
        assertArrayEquals(golden.u8("image" + k + ".raw_uint8_hwc"), decoded.pixels());
        // Same result whichever way the bytes arrive.
        byte[] bytes = Files.readAllBytes(png);
        assertEquals(decoded, LOADER.load(bytes));
        assertEquals(decoded, LOADER.load(new ByteArrayInputStream(bytes)));
    }

    @Test
    void rgbPngAndBmpRoundTripExactly() throws IOException {
        BufferedImage img = pattern(37, 23, BufferedImage.TYPE_3BYTE_BGR);
        RgbImage expected = expectedRgb(img);
        for (String format : new String[] {"png", "bmp"}) {
            Path f = write(img, format);
            assertEquals(expected, LOADER.load(f), format);
        }
    }

    @Test
    void interlacedPngDecodes() throws IOException {
        BufferedImage img = pattern(29, 13, BufferedImage.TYPE_3BYTE_BGR);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT); // Adam7
        Path f = dir.resolve("adam7.png");
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        assertEquals(1, Files.readAllBytes(f)[28], "interlace method byte of IHDR");
        assertEquals(expectedRgb(img), LOADER.load(f));
    }

    @Test
    void smallInterlacedGifFramesKeepTheirRowOrder() throws IOException {
        // ImageIO's GIF reader misplaces rows when an interlace pass is empty (heights 1-4).
        for (int h = 1; h <= 9; h++) {
            BufferedImage frame = indexed(5, h, h);
            Path f = dir.resolve("interlaced" + h + ".gif");
            writeGif(f, 5, h, new BufferedImage[] {frame}, new int[][] {{0, 0}}, -1);
            assertEquals(expectedRgb(frame), LOADER.load(f), "height " + h);
        }
    }

    @Test
    void palettePngMapsIndicesThroughThePalette() throws IOException {
        byte[] r = new byte[16];
        byte[] g = new byte[16];
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            r[i] = (byte) (i * 16);
            g[i] = (byte) (255 - i * 7);
            b[i] = (byte) (i * i);
        }
        IndexColorModel icm = new IndexColorModel(4, 16, r, g, b);
        BufferedImage img = new BufferedImage(9, 5, BufferedImage.TYPE_BYTE_BINARY, icm);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 9; x++) {
                img.getRaster().setSample(x, y, 0, (x + 3 * y) % 16);
            }
        }
        RgbImage decoded = LOADER.load(write(img, "png"));
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 9; x++) {
                int i = (x + 3 * y) % 16;
                assertEquals((i * 16) << 16 | (255 - i * 7) << 8 | (i * i), decoded.rgb(x, y));
            }
        }
    }

    @Test
    void paletteIndicesPastPlteBecomeGreyLikePillow() {
        // PLTE with 2 entries; pixels use indices 0, 1, 5 and 200. Pillow's palette starts as the
        // grey ramp, so 5 -> (5, 5, 5) and 200 -> (200, 200, 200); the JDK would pad with black.
        byte[] png = new PngBytes().ihdr(4, 1, 8, 3)
                .chunk("PLTE", PngBytes.u8(10, 20, 30, 40, 50, 60))
                .idat(new byte[][] {PngBytes.u8(0, 1, 5, 200)})
                .end();
        RgbImage img = LOADER.load(png);
        assertEquals(0x0A141E, img.rgb(0, 0));
        assertEquals(0x28323C, img.rgb(1, 0));
        assertEquals(0x050505, img.rgb(2, 0));
        assertEquals(0xC8C8C8, img.rgb(3, 0));
    }

    @Test
    void grayscalePngGivesEqualChannels() throws IOException {
        BufferedImage gray = new BufferedImage(20, 3, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 20; x++) {
            for (int y = 0; y < 3; y++) {
                gray.getRaster().setSample(x, y, 0, x * 13 + y);
            }
        }
        RgbImage img = LOADER.load(write(gray, "png"));
        for (int x = 0; x < 20; x++) {
            for (int y = 0; y < 3; y++) {
                int v = x * 13 + y;
                assertEquals(v << 16 | v << 8 | v, img.rgb(x, y), "no gamma conversion of linear grey");
            }
        }
    }

    @Test
    void lowBitDepthGreyScalesLikePillowUnpackers() {
        // 2-bit grey: Pillow's "L;2" multiplies by 0x55; 4-bit "L;4" by 0x11; 1-bit "1" gives 0/255.
        RgbImage two = LOADER.load(new PngBytes().ihdr(4, 1, 2, 0).idat(new byte[][] {PngBytes.u8(0b00011011)}).end());
        assertArrayEquals(new int[] {0, 0x55, 0xAA, 0xFF}, reds(two));
        RgbImage four = LOADER.load(new PngBytes().ihdr(2, 1, 4, 0).idat(new byte[][] {PngBytes.u8(0x3F)}).end());
        assertArrayEquals(new int[] {0x33, 0xFF}, reds(four));
        RgbImage one = LOADER.load(new PngBytes().ihdr(3, 1, 1, 0).idat(new byte[][] {PngBytes.u8(0b10100000)}).end());
        assertArrayEquals(new int[] {255, 0, 255}, reds(one));
    }

    @Test
    void rgbaPngDropsAlphaWithoutCompositing() {
        // Pixels with alpha 0 keep their stored colour exactly (PIL's RGBA -> RGB just drops A).
        byte[] row = PngBytes.u8(200, 100, 50, 0, 1, 2, 3, 0, 255, 255, 255, 128, 9, 8, 7, 255);
        RgbImage img = LOADER.load(new PngBytes().ihdr(4, 1, 8, 6).idat(new byte[][] {row}).end());
        assertEquals(0xC86432, img.rgb(0, 0));
        assertEquals(0x010203, img.rgb(1, 0));
        assertEquals(0xFFFFFF, img.rgb(2, 0));
        assertEquals(0x090807, img.rgb(3, 0));
    }

    @Test
    void greyAlphaPngDropsAlpha() {
        RgbImage img = LOADER.load(new PngBytes().ihdr(2, 1, 8, 4)
                .idat(new byte[][] {PngBytes.u8(77, 0, 180, 255)}).end());
        assertEquals(0x4D4D4D, img.rgb(0, 0));
        assertEquals(0xB4B4B4, img.rgb(1, 0));
    }

    @Test
    void sixteenBitGreyIsClampedAt255LikePillowModeI() {
        // Pillow 9.4 opens 16-bit grey PNG as mode "I"; convert("RGB") clamps each value to 0..255.
        RgbImage img = LOADER.load(new PngBytes().ihdr(6, 1, 16, 0)
                .idat(new byte[][] {PngBytes.u16(0, 100, 255, 256, 1000, 65535)}).end());
        assertArrayEquals(new int[] {0, 100, 255, 255, 255, 255}, reds(img));
        // With a tRNS chunk the JDK reports grey+alpha, but Pillow still opens mode I and clamps.
        RgbImage trns = LOADER.load(new PngBytes().ihdr(3, 1, 16, 0).chunk("tRNS", PngBytes.u16(100))
                .idat(new byte[][] {PngBytes.u16(100, 200, 0x3031)}).end());
        assertArrayEquals(new int[] {100, 200, 255}, reds(trns));
    }

    @Test
    void sixteenBitRgbAndRgbaKeepTheHighByte() {
        // "RGB;16B" / "RGBA;16B" unpackers take the most significant byte, no rounding.
        RgbImage rgb = LOADER.load(new PngBytes().ihdr(2, 1, 16, 2)
                .idat(new byte[][] {PngBytes.u16(0x1234, 0x12FF, 0xFF00, 0x0080, 0x00FF, 0xFFFF)}).end());
        assertEquals(0x1212FF, rgb.rgb(0, 0));
        assertEquals(0x0000FF, rgb.rgb(1, 0));
        RgbImage rgba = LOADER.load(new PngBytes().ihdr(1, 1, 16, 6)
                .idat(new byte[][] {PngBytes.u16(0xABCD, 0x0101, 0x7FFF, 0)}).end());
        assertEquals(0xAB017F, rgba.rgb(0, 0));
        // 16-bit grey + alpha opens as RGBA through "LA;16B": high byte of L.
        RgbImage la = LOADER.load(new PngBytes().ihdr(1, 1, 16, 4)
                .idat(new byte[][] {PngBytes.u16(0x9A10, 0x0000)}).end());
        assertEquals(0x9A9A9A, la.rgb(0, 0));
    }

    @Test
    void bmpWith565PixelsScalesLikePillowBgr16() throws IOException {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_565_RGB);
        int[] samples = {0b11111_000000_00000, 0b00001_000001_00001, 0b10000_100000_01111};
        for (int x = 0; x < 3; x++) {
            img.getRaster().setDataElements(x, 0, new short[] {(short) samples[x]});
        }
        Path f = write(img, "bmp");
        RgbImage decoded = LOADER.load(f);
        for (int x = 0; x < 3; x++) {
            int v = samples[x];
            int r = (v >> 11 & 31) * 255 / 31;
            int g = (v >> 5 & 63) * 255 / 63;
            int b = (v & 31) * 255 / 31;
            assertEquals(r << 16 | g << 8 | b, decoded.rgb(x, 0), "pixel " + x);
        }
    }

    @Test
    void gifGivesPaletteColoursOfTheFirstFrame() throws IOException {
        BufferedImage frame0 = indexed(12, 7, 0);
        BufferedImage frame1 = indexed(12, 7, 5);
        Path f = dir.resolve("anim.gif");
        writeGif(f, 12, 7, new BufferedImage[] {frame0, frame1}, new int[][] {{0, 0}, {0, 0}}, -1);
        RgbImage img = LOADER.load(f);
        assertEquals(expectedRgb(frame0), img);
    }

    @Test
    void gifFirstFrameSmallerThanTheScreenIsPlacedOnTheFullCanvas() throws IOException {
        // Logical screen 10x6, frame 0 is 4x3 at (5, 2) with transparent index 3: Pillow fills the
        // canvas with index 3 and pastes the frame there.
        BufferedImage frame0 = indexed(4, 3, 1);
        Path f = dir.resolve("offset.gif");
        writeGif(f, 10, 6, new BufferedImage[] {frame0}, new int[][] {{5, 2}}, 3);
        RgbImage img = LOADER.load(f);
        assertEquals(10, img.width());
        assertEquals(6, img.height());
        IndexColorModel icm = (IndexColorModel) frame0.getColorModel();
        int fill = icm.getRGB(3) & 0xFFFFFF;
        assertEquals(fill, img.rgb(0, 0));
        assertEquals(fill, img.rgb(9, 5));
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(frame0.getRGB(x, y) & 0xFFFFFF, img.rgb(5 + x, 2 + y));
            }
        }
    }

    @Test
    void progressiveJpegWrittenByImageIoDecodes() throws IOException {
        BufferedImage img = pattern(64, 40, BufferedImage.TYPE_3BYTE_BGR);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        Path f = dir.resolve("progressive.jpg");
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        byte[] bytes = Files.readAllBytes(f);
        boolean sof2 = false;
        for (int i = 0; i + 1 < bytes.length; i++) {
            sof2 |= (bytes[i] & 0xFF) == 0xFF && (bytes[i + 1] & 0xFF) == 0xC2;
        }
        assertEquals(true, sof2, "the writer produced a progressive (SOF2) file");
        RgbImage decoded = LOADER.load(f);
        // Our path converts the raw components with libjpeg's equations; the JDK decodes this file
        // with the same libjpeg code path end to end (no ICC profile), so the two must agree.
        assertEquals(expectedRgb(ImageIO.read(f.toFile())), decoded);
    }

    @Test
    void onePixelImageUpscalesToAConstantImage() throws IOException {
        BufferedImage one = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        one.setRGB(0, 0, 0x336699);
        RgbImage img = LOADER.load(write(one, "png"));
        assertEquals(new RgbImage(1, 1, PngBytes.u8(0x33, 0x66, 0x99)), img);
        RgbImage up = PilResize.resize(img, 384, 384);
        for (int y = 0; y < 384; y++) {
            for (int x = 0; x < 384; x++) {
                assertEquals(0x336699, up.rgb(x, y));
            }
        }
    }

    @Test
    void webpIsDetectedThroughTheReaderSpi() {
        Iterator<javax.imageio.ImageReader> readers = ImageIO.getImageReadersByFormatName("webp");
        assertEquals(true, readers.hasNext(), "TwelveMonkeys WebP reader registered");
        assertEquals(true, ImageIO.getImageReadersByMIMEType("image/webp").hasNext());
    }

    // ------------------------------------------------------------------------------------------

    static int[] reds(RgbImage img) {
        int[] r = new int[img.width()];
        for (int x = 0; x < r.length; x++) {
            r[x] = img.get(x, 0, 0);
        }
        return r;
    }

    static BufferedImage pattern(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 255 / Math.max(1, w - 1)) << 16 | (y * 255 / Math.max(1, h - 1)) << 8
                        | ((x * 7 + y * 11) & 0xFF));
            }
        }
        return img;
    }

    /** RGB bytes straight from an sRGB BufferedImage (exact for 8-bit RGB and indexed types). */
    static RgbImage expectedRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int c = img.getRGB(x, y);
                int i = (y * w + x) * 3;
                px[i] = (byte) (c >> 16);
                px[i + 1] = (byte) (c >> 8);
                px[i + 2] = (byte) c;
            }
        }
        return new RgbImage(w, h, px);
    }

    private Path write(BufferedImage img, String format) throws IOException {
        Path f = dir.resolve("img-" + System.nanoTime() + "." + format);
        if (!ImageIO.write(img, format, f.toFile())) {
            throw new IOException("no " + format + " writer for image type " + img.getType());
        }
        return f;
    }

    /** An 8-bit indexed image with a 16-colour palette; {@code shift} varies the content. */
    static BufferedImage indexed(int w, int h, int shift) {
        byte[] r = new byte[16];
        byte[] g = new byte[16];
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            r[i] = (byte) (i * 17);
            g[i] = (byte) ((i * 53) & 0xFF);
            b[i] = (byte) (255 - i * 11);
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 16, r, g, b));
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, (x + 2 * y + shift) % 16);
            }
        }
        return img;
    }

    /** Writes a GIF with the given logical screen, frames and frame offsets through ImageIO. */
    static void writeGif(Path f, int screenW, int screenH, BufferedImage[] frames, int[][] offsets,
            int transparentIndex) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            IIOMetadata streamMeta = writer.getDefaultStreamMetadata(param);
            String sfmt = streamMeta.getNativeMetadataFormatName();
            IIOMetadataNode sroot = (IIOMetadataNode) streamMeta.getAsTree(sfmt);
            IIOMetadataNode lsd = child(sroot, "LogicalScreenDescriptor");
            lsd.setAttribute("logicalScreenWidth", Integer.toString(screenW));
            lsd.setAttribute("logicalScreenHeight", Integer.toString(screenH));
            lsd.setAttribute("colorResolution", "8");
            lsd.setAttribute("pixelAspectRatio", "0");
            streamMeta.setFromTree(sfmt, sroot);
            writer.prepareWriteSequence(streamMeta);
            for (int i = 0; i < frames.length; i++) {
                IIOMetadata meta = writer.getDefaultImageMetadata(new ImageTypeSpecifier(frames[i]), param);
                String fmt = meta.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(fmt);
                IIOMetadataNode desc = child(root, "ImageDescriptor");
                desc.setAttribute("imageLeftPosition", Integer.toString(offsets[i][0]));
                desc.setAttribute("imageTopPosition", Integer.toString(offsets[i][1]));
                IIOMetadataNode gce = child(root, "GraphicControlExtension");
                gce.setAttribute("disposalMethod", "none");
                gce.setAttribute("userInputFlag", "FALSE");
                gce.setAttribute("delayTime", "10");
                gce.setAttribute("transparentColorFlag", transparentIndex >= 0 ? "TRUE" : "FALSE");
                gce.setAttribute("transparentColorIndex", Integer.toString(Math.max(transparentIndex, 0)));
                meta.setFromTree(fmt, root);
                writer.writeToSequence(new IIOImage(frames[i], null, meta), param);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equals(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }

    static byte[] toBytes(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }
}
