package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip4j.core.InputException;
import dev.blip4j.models.testing.FuzzContract;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of image decoding: format sniffing, the header checks that run before
 * any pixel is decoded (pixel limit, JPEG/PNG/GIF headers), ImageIO and TwelveMonkeys readers,
 * the own GIF decoder, mode conversion and EXIF orientation. Regression mode (plain
 * {@code mvn verify}) replays {@code ImageLoaderFuzzTestInputs/decode/}; {@code JAZZER_FUZZ=1}
 * fuzzes (see {@code .ci/fuzz}). Contract: an {@link RgbImage} within the pixel limit, or an
 * {@link InputException} naming the input; nothing else, and never slowly.
 *
 * <p>The pixel limit is lowered to 4 megapixels so that the fuzzer spends its time on decoding
 * logic rather than on allocating rasters for headers that claim 100 megapixels (the limit itself
 * is tested in {@link ImageLoaderRobustnessTest}).
 *
 * <p>Seeds: a few hundred bytes of each format and mode (RGB, palette, 1/2/16-bit grey, 16-bit
 * RGBA and eXIf PNG, baseline and EXIF-rotated JPEG, BMP, an animated GIF; written with ImageIO
 * and {@link PngBytes}) plus the small JPEG and WebP files of {@code src-test-resources/image-formats}.
 */
class ImageLoaderFuzzTest {

    private static final long MAX_PIXELS = 4L << 20;
    private static final ImageLoader LOADER =
            ImageLoader.builder().maxPixels(MAX_PIXELS).applyExifOrientation(true).build();

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void decode(byte[] data) {
        RgbImage image = FuzzContract.readOrRefuse(InputException.class, "<bytes>", () -> LOADER.load(data));
        if (image == null) {
            return;
        }
        assertTrue(image.pixelCount() <= MAX_PIXELS, image.width() + "x" + image.height() + " passed the limit");
        assertEquals(3L * image.width() * image.height(), image.pixels().length);
    }
}
