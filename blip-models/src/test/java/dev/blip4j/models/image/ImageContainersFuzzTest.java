package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip4j.core.InputException;
import dev.blip4j.models.testing.FuzzContract;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing of images inside other containers: BMP headers (every DIB header size,
 * bit depth and compression, BI_PNG and BI_JPEG among them) and ICO/CUR directories, whose
 * embedded images could carry a size of their own past the pixel limit. Regression mode (plain
 * {@code mvn verify}) replays {@code ImageContainersFuzzTestInputs/containers/}; {@code JAZZER_FUZZ=1}
 * fuzzes (see {@code .ci/fuzz}). Contract as {@link ImageLoaderFuzzTest}: an {@link RgbImage}
 * within the pixel limit or an {@link InputException} naming the input, and never slowly.
 *
 * <p>Seeds (written by Pillow 9.4, the containers by hand): 24-bit and palette BMPs, BMPs holding
 * a PNG and a JPEG, and ICOs holding a PNG and a DIB.
 */
class ImageContainersFuzzTest {

    private static final long MAX_PIXELS = 4L << 20;
    private static final ImageLoader LOADER = ImageLoader.builder().maxPixels(MAX_PIXELS).build();

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void containers(byte[] data) {
        RgbImage image = FuzzContract.readOrRefuse(InputException.class, "<bytes>", () -> LOADER.load(data));
        if (image == null) {
            return;
        }
        assertTrue(image.pixelCount() <= MAX_PIXELS, image.width() + "x" + image.height() + " passed the limit");
        assertEquals(3L * image.width() * image.height(), image.pixels().length);
    }
}
