package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pillow's resampler: bit-exact against Pillow 9.4.0's output on the golden images, and checked on
 * cases small enough to compute by hand (Pillow itself cannot run here).
 */
class PilResizeTest {

    private static final int ONE = 1 << ResampleCoefficients.PRECISION_BITS;
    private static GoldenTensors golden;

    @BeforeAll
    static void readGolden() throws Exception {
        Path root = GoldenTensors.resources().resolve("golden");
        golden = GoldenTensors.read(root.resolve("caption/inputs.safetensors"));
    }

    private static RgbImage goldenImage(String tensor) {
        int[] s = golden.shape(tensor);
        return new RgbImage(s[1], s[0], golden.u8(tensor));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void bicubicIsBitIdenticalToPillow94(int k) {
        RgbImage raw = goldenImage("image" + k + ".raw_uint8_hwc");
        RgbImage expected = goldenImage("image" + k + ".resized_uint8_hwc");
        RgbImage resized = PilResize.resize(raw, 64, 64);
        int maxDiff = 0;
        int differing = 0;
        for (int i = 0; i < expected.pixels().length; i++) {
            int d = Math.abs((expected.pixels()[i] & 0xFF) - (resized.pixels()[i] & 0xFF));
            maxDiff = Math.max(maxDiff, d);
            differing += d != 0 ? 1 : 0;
        }
        System.out.printf("image%d %dx%d -> 64x64 bicubic vs Pillow 9.4.0: max abs diff %d, %d of %d values differ%n",
                k, raw.width(), raw.height(), maxDiff, differing, expected.pixels().length);
        assertEquals(0, maxDiff, differing + " values differ from Pillow");
    }

    @Test
    void downscaleByTwoWeightsAreTheNormalisedBicubicKernel() {
        // 4 -> 2: scale 2, support 2 * 2 = 4, centre of output 0 at 1.0, taps x = 0..3 at kernel
        // positions (x - 1 + 0.5) / 2 = -0.25, 0.25, 0.75, 1.25.
        ResampleCoefficients c = ResampleCoefficients.compute(4, 2, ResampleFilter.BICUBIC);
        double k025 = 1 - 2.5 * 0.0625 + 1.5 * 0.015625;     // 0.8671875
        double k075 = 1 - 2.5 * 0.5625 + 1.5 * 0.421875;     // 0.2265625
        double k125 = -0.5 * (1.953125 - 5 * 1.5625 + 8 * 1.25 - 4); // -0.0703125
        double sum = 2 * k025 + k075 + k125;
        double[] expected0 = {k025 / sum, k025 / sum, k075 / sum, k125 / sum};
        assertEquals(0, c.first(0));
        assertEquals(4, c.count(0));
        assertEquals(0, c.first(1));
        assertEquals(4, c.count(1));
        for (int j = 0; j < 4; j++) {
            assertEquals(expected0[j], c.weight(0, j), 1e-15);
            assertEquals(expected0[3 - j], c.weight(1, j), 1e-15, "output 1 mirrors output 0");
            long rounded = Math.round(Math.abs(expected0[j]) * ONE) * (long) Math.signum(expected0[j]);
            assertEquals(rounded, c.fixedWeight(0, j));
        }
        assertEquals(9, c.ksize(), "ceil(4) * 2 + 1");
    }

    @Test
    void sameSizeWeightsAreTheIdentity() {
        ResampleCoefficients c = ResampleCoefficients.compute(5, 5, ResampleFilter.BICUBIC);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < c.count(i); j++) {
                int source = c.first(i) + j;
                assertEquals(source == i ? ONE : 0, c.fixedWeight(i, j), "out " + i + " tap " + source);
            }
        }
    }

    @Test
    void upscaleWeightsStayUnstretched() {
        // 2 -> 4: scale 0.5, the kernel keeps support 2; output 0 has centre 0.25, source pixel
        // centres 0.5 and 1.5 are at distances 0.25 and 1.25 (window clipped at the border), then
        // normalised - the negative lobe makes the first weight exceed 1.
        ResampleCoefficients c = ResampleCoefficients.compute(2, 4, ResampleFilter.BICUBIC);
        assertEquals(5, c.ksize());
        assertEquals(0, c.first(0));
        assertEquals(2, c.count(0));
        double k025 = 0.8671875;
        double k125 = -0.0703125;
        assertEquals(k025 / (k025 + k125), c.weight(0, 0), 1e-15);
        assertEquals(k125 / (k025 + k125), c.weight(0, 1), 1e-15);
        assertEquals(-Math.round(-k125 / (k025 + k125) * ONE), c.fixedWeight(0, 1));
    }

    @Test
    void sameSizeReturnsTheImageItself() {
        RgbImage img = random(7, 5, 1);
        assertSame(img, PilResize.resize(img, 7, 5));
    }

    @Test
    void onePixelUpscalesToAConstantImage() {
        RgbImage one = new RgbImage(1, 1, new byte[] {(byte) 200, 17, (byte) 255});
        RgbImage big = PilResize.resize(one, 384, 384);
        for (int i = 0; i < big.pixels().length; i += 3) {
            assertEquals(200, big.pixels()[i] & 0xFF);
            assertEquals(17, big.pixels()[i + 1] & 0xFF);
            assertEquals(255, big.pixels()[i + 2] & 0xFF);
        }
    }

    @ParameterizedTest
    @CsvSource({"64,48,32,24", "100,100,50,50", "33,17,384,384", "1000,10,7,3", "7,900,480,480"})
    void constantImagesStayConstant(int w, int h, int ow, int oh) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < px.length; i += 3) {
            px[i] = 0;
            px[i + 1] = (byte) 128;
            px[i + 2] = (byte) 255;
        }
        RgbImage out = PilResize.resize(new RgbImage(w, h, px), ow, oh);
        for (int i = 0; i < out.pixels().length; i += 3) {
            assertEquals(0, out.pixels()[i] & 0xFF);
            assertEquals(128, out.pixels()[i + 1] & 0xFF);
            assertEquals(255, out.pixels()[i + 2] & 0xFF);
        }
    }

    @ParameterizedTest
    @CsvSource({"8,6,4,3", "20,20,10,10", "9,9,64,64", "64,64,384,384"})
    void mirrorSymmetricInputGivesMirrorSymmetricOutput(int w, int h, int ow, int oh) {
        RgbImage src = random(w, h, 42);
        byte[] px = src.pixels().clone();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w / 2; x++) {
                System.arraycopy(px, (y * w + x) * 3, px, (y * w + (w - 1 - x)) * 3, 3);
            }
        }
        RgbImage out = PilResize.resize(new RgbImage(w, h, px), ow, oh);
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                assertEquals(out.rgb(x, y), out.rgb(ow - 1 - x, y), "(" + x + "," + y + ")");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"30,20,60,45", "1500,1200,384,384", "35,85,64,64"})
    void oneCallEqualsAHorizontalThenAVerticalResize(int w, int h, int ow, int oh) {
        // Pillow resamples x first (8-bit intermediate), then y; a call that changes one axis only
        // skips the other pass. So the two-axis result must equal two single-axis calls in that
        // order. 1500x1200 runs both passes on the parallel path.
        RgbImage src = random(w, h, 3);
        RgbImage horizontal = PilResize.resize(src, ow, h);
        assertEquals(ow, horizontal.width());
        assertEquals(h, horizontal.height());
        assertArrayEquals(PilResize.resize(src, ow, oh).pixels(), PilResize.resize(horizontal, ow, oh).pixels());
    }

    @Test
    void rejectsBadSizes() {
        RgbImage img = random(4, 4, 1);
        assertThrows(IllegalArgumentException.class, () -> PilResize.resize(img, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> PilResize.resize(img, 4, -1));
        assertThrows(IllegalArgumentException.class, () -> PilResize.resize(img, 100000, 100000));
    }

    @Test
    void filterIdsFollowPillow() {
        assertEquals(ResampleFilter.BICUBIC, ResampleFilter.fromPillowId(3));
        assertEquals(ResampleFilter.LANCZOS, ResampleFilter.fromPillowId(1));
        assertEquals(ResampleFilter.BILINEAR, ResampleFilter.fromPillowId(2));
        assertEquals(ResampleFilter.BOX, ResampleFilter.fromPillowId(4));
        assertEquals(ResampleFilter.HAMMING, ResampleFilter.fromPillowId(5));
        assertThrows(IllegalArgumentException.class, () -> ResampleFilter.fromPillowId(0));
        assertThrows(IllegalArgumentException.class, () -> ResampleFilter.fromPillowId(9));
        assertEquals(ResampleFilter.BICUBIC, ResampleFilter.fromName(" Bicubic "));
    }

    @Test
    void otherFiltersKeepConstantsAndBoxAveragesPairs() {
        RgbImage src = new RgbImage(4, 1, new byte[] {10, 10, 10, 20, 20, 20, 30, 30, 30, 50, 50, 50});
        // BOX 4 -> 2: each output is the mean of two inputs: (10 + 20) / 2 = 15, (30 + 50) / 2 = 40.
        RgbImage box = PilResize.resize(src, 2, 1, ResampleFilter.BOX);
        assertEquals(15, box.get(0, 0, 0));
        assertEquals(40, box.get(1, 0, 0));
        for (ResampleFilter f : ResampleFilter.values()) {
            RgbImage flat = PilResize.resize(new RgbImage(5, 5, filled(75, 77)), 3, 8, f);
            for (byte b : flat.pixels()) {
                assertEquals(77, b & 0xFF, f.name());
            }
        }
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    static RgbImage random(int w, int h, long seed) {
        byte[] px = new byte[w * h * 3];
        new Random(seed).nextBytes(px);
        return new RgbImage(w, h, px);
    }
}
