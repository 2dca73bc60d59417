package dev.blip4j.models.image;

import dev.blip4j.core.InputException;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.awt.image.SinglePixelPackedSampleModel;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads images into {@link RgbImage}s with the pixels that Python's
 * {@code PIL.Image.open(f).convert("RGB")} (Pillow 9.4) produces, so that preprocessing - and hence
 * the model's outputs - match the reference BLIP pipeline.
 *
 * <p>Formats are told by content ({@link ImageFormat}), never by file name: JPEG (baseline,
 * progressive, grey, RGB, CMYK and YCCK), PNG (all bit depths, palette, alpha), BMP and WebP through
 * ImageIO with the TwelveMonkeys plug-ins, GIF (first frame) through an own decoder. Other
 * containers (ICO, CUR, TIFF) are refused by name, and so are BMPs holding a PNG or JPEG
 * ({@code BI_PNG}, {@code BI_JPEG}), which Pillow refuses and whose header need not tell the
 * embedded image's size. How each format maps to PIL's conversion:
 * <ul>
 *   <li><b>JPEG</b>: the raw components are decoded with Java's libjpeg-based decoder and converted
 *       with libjpeg's own fixed-point equations ({@link JpegColor}); measured bit-identical to
 *       libjpeg-turbo (Pillow's decoder) for 4:2:0, 4:2:2, 4:4:0, progressive 4:4:4, grey, Adobe
 *       CMYK and YCCK test files. Embedded ICC profiles are ignored, as Pillow ignores them. 12-bit
 *       JPEGs are refused (Pillow's libjpeg cannot read them either).</li>
 *   <li><b>PNG</b>: see {@link RasterConverter} - alpha dropped without compositing, 16-bit
 *       channels reduced the way Pillow 9.4 does (high byte; 16-bit grey clamped at 255), palette
 *       entries missing from PLTE become grey.</li>
 *   <li><b>GIF</b>: first frame only, on the full logical screen, decoded as Pillow's GifDecode.c
 *       does ({@link GifFirstFrame}; the JDK reader misplaces rows of small interlaced frames).</li>
 *   <li><b>WebP</b>: lossless files decode exactly (pixel-identical to Pillow 9.4, 4000x4000 ones
 *       included); lossy (VP8) files go through TwelveMonkeys' own
 *       VP8 decoder, which does not reproduce libwebp's YUV-to-RGB conversion and upsampling -
 *       expect differences of several levels (measured mean 11, max 101 on a test image with
 *       dense colour edges).</li>
 * </ul>
 *
 * <p>EXIF orientation is <b>not</b> applied by default, because PIL does not apply it; enable
 * {@link Builder#applyExifOrientation(boolean)} to get {@code ImageOps.exif_transpose} behaviour.
 *
 * <p>Safety: the declared size is read from the header and checked <b>before</b> any pixel is
 * decoded. The default limit is Pillow's {@code DecompressionBombError} threshold,
 * {@code 2 * Image.MAX_IMAGE_PIXELS} = 178,956,970 pixels (Pillow only warns between 1x and 2x;
 * there is no warning channel here, so the error threshold is used). Every failure - not an image,
 * truncated or corrupt data, too many pixels, zero size, not enough heap - is an
 * {@link InputException} naming the input; decoder exceptions and {@link OutOfMemoryError}s are
 * not passed through.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ImageLoader {

    /** Pillow's {@code Image.MAX_IMAGE_PIXELS}: {@code 1024 * 1024 * 1024 // 4 // 3}. */
    public static final long PIL_MAX_IMAGE_PIXELS = 1024L * 1024 * 1024 / 4 / 3;

    /** Default limit: Pillow raises {@code DecompressionBombError} above twice its warning size. */
    public static final long DEFAULT_MAX_PIXELS = 2 * PIL_MAX_IMAGE_PIXELS;

    private static final ImageLoader DEFAULTS = builder().build();

    private final long maxPixels;
    private final boolean applyExifOrientation;

    private ImageLoader(Builder b) {
        this.maxPixels = b.maxPixels;
        this.applyExifOrientation = b.applyExifOrientation;
    }

    /** A loader with Pillow's limit and no EXIF rotation - what BLIP's Python code does. */
    public static ImageLoader defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Largest accepted {@code width * height}. */
    public long maxPixels() {
        return maxPixels;
    }

    /** Whether the EXIF orientation tag is applied after decoding. */
    public boolean applyExifOrientation() {
        return applyExifOrientation;
    }

    /** Decodes an image file; errors name the path. */
    public RgbImage load(Path file) {
        Objects.requireNonNull(file, "file");
        return decode(ImageSource.of(file));
    }

    /** Decodes encoded image bytes (a whole PNG, JPEG, ... file); errors name {@code <bytes>}. */
    public RgbImage load(byte[] encoded) {
        Objects.requireNonNull(encoded, "encoded");
        return decode(ImageSource.of(encoded, "<bytes>"));
    }

    /**
     * Decodes an image from a stream, which is read to its end (but not closed); errors name
     * {@code <stream>}. The encoded bytes are buffered in memory so the file can be re-read.
     */
    public RgbImage load(InputStream in) {
        Objects.requireNonNull(in, "in");
        byte[] bytes;
        try {
            bytes = readAll(in);
        } catch (IOException e) {
            throw new InputException("<stream>: cannot read the stream: " + e, e);
        }
        return decode(ImageSource.of(bytes, "<stream>"));
    }

    /**
     * Converts an image already in memory, applying the same mode rules as for decoded files (no
     * colour management; alpha dropped; premultiplied alpha undone). The caller's pixel array is
     * copied, never modified. EXIF orientation does not apply (there is no file).
     */
    public RgbImage fromBufferedImage(BufferedImage image) {
        Objects.requireNonNull(image, "image");
        checkArraySize("<BufferedImage>", image.getWidth(), image.getHeight());
        try {
            return RasterConverter.convert(image, false, -1);
        } catch (OutOfMemoryError e) {
            throw new InputException("<BufferedImage>: not enough memory to convert a " + image.getWidth() + "x"
                    + image.getHeight() + " image (raise the heap with -Xmx)");
        }
    }

    /**
     * Converts a DJL image: its wrapped {@link BufferedImage} when it has one (the default
     * {@code BufferedImageFactory}), otherwise its pixels as written by {@code save(out, "png")}
     * (lossless), decoded like any PNG.
     */
    public RgbImage fromDjlImage(ai.djl.modality.cv.Image image) {
        Objects.requireNonNull(image, "image");
        Object wrapped = image.getWrappedImage();
        if (wrapped instanceof BufferedImage bi) {
            return fromBufferedImage(bi);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            image.save(png, "png");
        } catch (IOException | RuntimeException e) {
            String kind = wrapped == null ? "an image without a wrapped object" : wrapped.getClass().getName();
            throw new InputException("<DJL image>: cannot get its pixels (" + kind
                    + " could not be written as PNG): " + e, e);
        }
        return decode(ImageSource.of(png.toByteArray(), "<DJL image>"));
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (OutOfMemoryError e) {
            throw new InputException("<stream>: the stream is too large to buffer in memory");
        }
    }

    // ------------------------------------------------------------------------------------------

    private RgbImage decode(ImageSource src) {
        String name = src.name();
        if (src.size() == 0) {
            throw new InputException(name + ": empty file, not an image");
        }
        String format = "image";
        try (ImageInputStream iis = src.open()) {
            byte[] head = new byte[16];
            int n = 0;
            for (int r; n < head.length && (r = iis.read(head, n, head.length - n)) > 0; ) {
                n += r;
            }
            iis.seek(0);
            ImageFormat kind = ImageFormat.of(head, n, name);
            format = kind.readerName();
            if (kind == ImageFormat.GIF) {
                return decodeGif(iis, name);
            }
            if (kind == ImageFormat.BMP) {
                String embedded = FileStructure.bmpEmbeddedFormat(iis);
                iis.seek(0);
                if (embedded != null) {
                    throw new InputException(name + ": a BMP holding a " + embedded + " image (BI_" + embedded
                            + " compression), which Pillow refuses as unsupported and blip4j does not decode");
                }
            }
            ImageInputStream input = kind == ImageFormat.WEBP ? new BitstreamEnd(iis) : iis;
            ImageReader reader = reader(kind, input, name);
            try {
                return decodeWith(reader, input, src, format);
            } finally {
                reader.dispose();
            }
        } catch (InputException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw new InputException(name + ": not enough memory to decode this " + upper(format)
                    + " image (raise the heap with -Xmx or lower the pixel limit)");
        } catch (IOException | RuntimeException e) {
            if (format.equals("png") && missingOnlyIend(src)) {
                ImageSource completed;
                try {
                    completed = src.withPngEnd();
                } catch (IOException | OutOfMemoryError again) {
                    throw failure(src, format, e);
                }
                return decode(completed); // has IEND now, so this cannot recurse again
            }
            throw failure(src, format, e);
        }
    }

    /** ImageIO's reader of {@code kind}, never another plug-in's (ICO claims BMP-like data). */
    private static ImageReader reader(ImageFormat kind, ImageInputStream iis, String name) throws IOException {
        for (Iterator<ImageReader> readers = ImageIO.getImageReaders(iis); readers.hasNext(); ) {
            ImageReader reader = readers.next();
            if (formatOf(reader).equals(kind.readerName())) {
                return reader;
            }
            reader.dispose();
        }
        throw new InputException(name + ": corrupt " + kind + " data: its header is not one the " + kind
                + " decoder reads");
    }

    private static boolean missingOnlyIend(ImageSource src) {
        try (ImageInputStream again = src.open()) {
            return FileStructure.pngMissingOnlyIend(again);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private RgbImage decodeWith(ImageReader reader, ImageInputStream iis, ImageSource src, String format)
            throws IOException {
        String name = src.name();
        JpegHeader jpeg = null;
        if (format.equals("jpeg")) {
            iis.seek(0);
            jpeg = JpegHeader.read(iis, applyExifOrientation);
            iis.seek(0);
            if (jpeg != null && jpeg.precision() != 8) {
                throw new InputException(name + ": " + jpeg.precision()
                        + "-bit JPEG is not supported (Pillow's libjpeg reads 8-bit JPEG only)");
            }
        }
        if (jpeg != null) {
            checkSize(name, jpeg.width(), jpeg.height(), jpeg.components());
        }
        long[] png = null;
        if (format.equals("png")) {
            png = FileStructure.pngHeader(iis);
            iis.seek(0);
            if (png != null) {
                checkSize(name, png[0], png[1], 1);
            }
        }
        reader.setInput(iis, false, true);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, message) -> warnings.add(message));
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        checkSize(name, width, height, jpeg != null ? jpeg.components() : rawBytesPerPixel(reader));

        RgbImage image;
        if (jpeg != null) {
            Raster raster = reader.readRaster(0, null);
            if (!warnings.isEmpty() && truncated(src, format)) {
                throw truncatedError(name, format, null);
            }
            if (jpeg.colorSpace() == JpegHeader.ColorSpace.UNKNOWN) {
                throw new InputException(name + ": JPEG with " + jpeg.components()
                        + " components is not supported (Pillow reads 1, 3 or 4)");
            }
            image = JpegColor.toRgb(raster, jpeg.colorSpace());
        } else {
            if (format.equals("webp") && truncated(src, format)) {
                // TwelveMonkeys pads a cut VP8L stream with zeros at the cost of one EOFException per
                // symbol: a 1 kB file declaring 96x9245 pixels took 4.6 s. libwebp refuses it too.
                throw truncatedError(name, format, null);
            }
            BufferedImage decoded = reader.read(0);
            int paletteEntries = -1;
            if (format.equals("png") && decoded.getColorModel() instanceof IndexColorModel) {
                try (ImageInputStream again = src.open()) {
                    paletteEntries = FileStructure.pngPaletteLength(again);
                }
            }
            RasterConverter.Grey16 grey16 = png == null ? RasterConverter.Grey16.BY_ALPHA
                    : png[3] == 4 ? RasterConverter.Grey16.HIGH_BYTE : RasterConverter.Grey16.CLAMP;
            image = RasterConverter.convert(decoded, true, paletteEntries, grey16);
        }
        if (applyExifOrientation) {
            byte[] exif = jpeg != null ? jpeg.exif() : null;
            if (jpeg == null && (format.equals("png") || format.equals("webp"))) {
                try (ImageInputStream again = src.open()) {
                    exif = ExifOrientation.find(again, format);
                }
            }
            image = ExifOrientation.apply(image, ExifOrientation.parse(exif));
        }
        return image;
    }

    /** GIF: first frame on the logical screen, decoded by {@link GifFirstFrame}. */
    private RgbImage decodeGif(ImageInputStream iis, String name) throws IOException {
        try {
            GifFirstFrame gif = GifFirstFrame.readHeaders(iis);
            checkSize(name, gif.canvasWidth, gif.canvasHeight, 1);
            return gif.decode(iis);
        } catch (GifFirstFrame.BadData e) {
            if (e.truncated) {
                throw truncatedError(name, "gif", null);
            }
            throw new InputException(name + ": corrupt GIF data: " + e.getMessage(), e);
        }
    }

    /**
     * Zero size, pixel limit, Java array limit and heap size - all before decoding. Sizes are
     * below 2^32 (PNG stores them unsigned), so the product fits in an unsigned long.
     */
    private void checkSize(String name, long width, long height, int decodeBytesPerPixel) {
        if (width <= 0 || height <= 0) {
            throw new InputException(name + ": zero-size image (" + width + "x" + height + ")");
        }
        long pixels = width * height;
        if (Long.compareUnsigned(pixels, maxPixels) > 0) {
            throw new InputException(name + ": " + width + "x" + height + " = " + Long.toUnsignedString(pixels)
                    + " pixels exceeds the limit of " + maxPixels
                    + " (set ImageLoader.builder().maxPixels(...) to accept larger images;"
                    + " the default is Pillow's decompression-bomb limit)");
        }
        checkArraySize(name, width, height);
        long needed = pixels * (decodeBytesPerPixel + 3L);
        long heap = Runtime.getRuntime().maxMemory();
        if (heap != Long.MAX_VALUE && needed > heap) {
            throw new InputException(name + ": decoding " + width + "x" + height + " needs about "
                    + (needed >> 20) + " MiB but the JVM heap limit is " + (heap >> 20) + " MiB (raise -Xmx)");
        }
    }

    private static void checkArraySize(String name, long width, long height) {
        long pixels = width * height;
        if (Long.compareUnsigned(pixels, RgbImage.MAX_ARRAY_BYTES / 3) > 0) {
            throw new InputException(name + ": " + width + "x" + height + " needs "
                    + new java.math.BigInteger(Long.toUnsignedString(pixels)).multiply(java.math.BigInteger.valueOf(3))
                    + " bytes as RGB, more than one Java array can hold (2 GiB)");
        }
    }

    /** Bytes per pixel of the decoder's own buffer, for the heap check; 4 when unknown. */
    private static int rawBytesPerPixel(ImageReader reader) {
        try {
            ImageTypeSpecifier type = reader.getRawImageType(0);
            if (type != null) {
                SampleModel sm = type.getSampleModel();
                if (sm instanceof SinglePixelPackedSampleModel) {
                    return DataBuffer.getDataTypeSize(sm.getDataType()) / 8;
                }
                return Math.max(1, sm.getNumBands() * DataBuffer.getDataTypeSize(sm.getDataType()) / 8);
            }
        } catch (IOException | RuntimeException e) {
            // fall through: the decode itself will report the problem
        }
        return 4;
    }

    private static boolean truncated(ImageSource src, String format) {
        try (ImageInputStream again = src.open()) {
            return FileStructure.isTruncated(again, format);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static InputException failure(ImageSource src, String format, Exception e) {
        String name = src.name();
        if (hasCause(e, EOFException.class) || hasCause(e, BitstreamEnd.Exhausted.class) || truncated(src, format)) {
            return truncatedError(name, format, e);
        }
        String detail = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        if (format.equals("image")) {
            return new InputException(name + ": cannot read the input: " + detail, e);
        }
        return new InputException(name + ": corrupt or unsupported " + upper(format) + " data: " + detail, e);
    }

    private static InputException truncatedError(String name, String format, Exception cause) {
        String message = name + ": truncated " + upper(format)
                + " file: the data ends before the image is complete";
        return cause == null ? new InputException(message) : new InputException(message, cause);
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String formatOf(ImageReader reader) throws IOException {
        String f = reader.getFormatName().toLowerCase(Locale.ROOT);
        return f.equals("jpg") ? "jpeg" : f;
    }

    private static String upper(String format) {
        return format.equals("image") ? "image" : format.toUpperCase(Locale.ROOT);
    }

    /** Options of an {@link ImageLoader}. */
    public static final class Builder {
        private long maxPixels = DEFAULT_MAX_PIXELS;
        private boolean applyExifOrientation;

        private Builder() {
        }

        /**
         * Largest accepted {@code width * height}, checked from the file header before decoding.
         * Default {@link #DEFAULT_MAX_PIXELS}. Raising it is safe only with a heap to match: an
         * image needs 3 bytes per pixel plus the decoder's own buffer.
         */
        public Builder maxPixels(long maxPixels) {
            if (maxPixels <= 0) {
                throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
            }
            this.maxPixels = maxPixels;
            return this;
        }

        /**
         * Rotate/flip according to the EXIF Orientation tag as {@code ImageOps.exif_transpose}
         * does. Default false, matching {@code Image.open(...).convert("RGB")}.
         */
        public Builder applyExifOrientation(boolean apply) {
            this.applyExifOrientation = apply;
            return this;
        }

        public ImageLoader build() {
            return new ImageLoader(this);
        }
    }
}
