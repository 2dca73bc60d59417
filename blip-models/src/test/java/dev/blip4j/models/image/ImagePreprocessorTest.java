package dev.blip4j.models.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ToTensor + Normalize against the golden {@code pixel_values} (torch 1.13, float32). */
class ImagePreprocessorTest {

    private static final int SIZE = 64;
    private static GoldenTensors golden;
    private static Path root;

    @BeforeAll
    static void readGolden() throws Exception {
        root = GoldenTensors.resources().resolve("golden");
        golden = GoldenTensors.read(root.resolve("caption/inputs.safetensors"));
    }

    private static RgbImage goldenImage(String tensor) {
        int[] s = golden.shape(tensor);
        return new RgbImage(s[1], s[0], golden.u8(tensor));
    }

    private static double maxAbs(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    @Test
    void pixelValuesFromTheGoldenResizedBytesAreBitIdentical() {
        float[] expected = golden.f32("pixel_values");
        ImagePreprocessor pre = ImagePreprocessor.blip(SIZE);
        float[] actual = new float[expected.length];
        for (int k = 0; k < 3; k++) {
            pre.toChw(goldenImage("image" + k + ".resized_uint8_hwc"), actual, k * pre.floatsPerImage());
        }
        double err = maxAbs(expected, actual);
        System.out.printf("pixel_values from resized_uint8_hwc: max abs error %s (tolerance 1e-6)%n", err);
        assertTrue(err <= 1e-6);
        assertArrayEquals(expected, actual, "float32 ToTensor/Normalize in torchvision's order is exact");
    }

    @Test
    void pixelValuesEndToEndFromThePngFiles() {
        float[] expected = golden.f32("pixel_values");
        ImagePreprocessor pre = ImagePreprocessor.blip(SIZE);
        float[] actual = new float[expected.length];
        for (int k = 0; k < 3; k++) {
            RgbImage img = ImageLoader.defaults().load(root.resolve("images/image" + k + ".png"));
            float[] one = pre.toChw(img);
            System.arraycopy(one, 0, actual, k * one.length, one.length);
        }
        double err = maxAbs(expected, actual);
        System.out.printf("pixel_values end to end from PNG files: max abs error %s%n", err);
        assertArrayEquals(expected, actual);
    }

    @Test
    void batchIsOneFloat32NdArrayOfShapeB3HW() {
        float[] expected = golden.f32("pixel_values");
        List<RgbImage> images = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            images.add(ImageLoader.defaults().load(root.resolve("images/image" + k + ".png")));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray batch = ImagePreprocessor.blip(SIZE).toBatch(images, manager);
            assertEquals(new Shape(3, 3, SIZE, SIZE), batch.getShape());
            assertEquals(DataType.FLOAT32, batch.getDataType());
            assertArrayEquals(expected, batch.toFloatArray());
            assertThrows(InputException.class, () -> ImagePreprocessor.blip(SIZE).toBatch(List.of(), manager));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"caption", "caption_posinterp", "itm", "vqa", "retrieval", "feature_extractor"})
    void goldenHfConfigsAreTheBlipTransform(String kind) {
        ImagePreprocessor pre = ImagePreprocessor.fromHfConfig(root.resolve(kind).resolve("hf/preprocessor_config.json"));
        assertEquals(ImagePreprocessor.blip(SIZE), pre);
    }

    @Test
    void hfConfigVariants() {
        ImagePreprocessor vqa = ImagePreprocessor.fromHfConfig("{\"size\": 480, \"resample\": 3}", "cfg");
        assertEquals(480, vqa.height());
        assertEquals(480, vqa.width());
        ImagePreprocessor rect = ImagePreprocessor.fromHfConfig(
                "{\"size\": {\"height\": 224, \"width\": 320}, \"resample\": 2, \"do_normalize\": false,"
                        + " \"image_mean\": 0.5, \"image_std\": [0.5, 0.5, 0.5], \"unknown_key\": 1}", "cfg");
        assertEquals(224, rect.height());
        assertEquals(320, rect.width());
        assertEquals(ResampleFilter.BILINEAR, rect.resample());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, rect.mean());
        assertEquals(3 * 224 * 320, rect.toChw(new RgbImage(1, 1, new byte[3])).length);
        for (String bad : new String[] {"[1, 2]", "{\"size\": {\"shortest_edge\": 384}}", "{\"resample\": 0}",
            "{\"image_mean\": [1, 2]}", "{\"image_std\": [1, 0, 1]}", "{\"size\": \"big\"}", "{\"size\": -3}",
            "{\"do_center_crop\": true}", "not json {"}) {
            ModelException e = assertThrows(ModelException.class, () -> ImagePreprocessor.fromHfConfig(bad, "cfg.json"),
                    bad);
            assertTrue(e.getMessage().startsWith("cfg.json: "), e.getMessage());
        }
    }

    @Test
    void normalisationFollowsTorchvisionFloat32Order() {
        ImagePreprocessor pre = ImagePreprocessor.blip(1);
        RgbImage px = new RgbImage(1, 1, new byte[] {0, (byte) 128, (byte) 255});
        float[] out = pre.toChw(px);
        float[] mean = {0.48145466f, 0.4578275f, 0.40821073f};
        float[] std = {0.26862954f, 0.26130258f, 0.27577711f};
        int[] v = {0, 128, 255};
        for (int c = 0; c < 3; c++) {
            float x = v[c] / 255f;
            assertEquals((x - mean[c]) / std[c], out[c]);
        }
        ImagePreprocessor raw = ImagePreprocessor.builder().size(1).doNormalize(false).doRescale(false).build();
        assertArrayEquals(new float[] {0f, 128f, 255f}, raw.toChw(px));
        ImagePreprocessor half = ImagePreprocessor.builder().size(1).doNormalize(false).rescaleFactor(0.5).build();
        assertArrayEquals(new float[] {0f, 64f, 127.5f}, half.toChw(px));
    }

    @Test
    void onePixelImageGivesAConstantModelInput() {
        float[] chw = ImagePreprocessor.blip(384).toChw(new RgbImage(1, 1, new byte[] {0x33, 0x66, (byte) 0x99}));
        for (int c = 0; c < 3; c++) {
            for (int i = 1; i < 384 * 384; i++) {
                assertEquals(chw[c * 384 * 384], chw[c * 384 * 384 + i]);
            }
        }
    }

    @Test
    void withoutResizeTheInputMustAlreadyHaveTheOutputSize() {
        ImagePreprocessor pre = ImagePreprocessor.builder().size(4).doResize(false).build();
        assertEquals(48, pre.toChw(new RgbImage(4, 4, new byte[48])).length);
        InputException e = assertThrows(InputException.class, () -> pre.toChw(new RgbImage(5, 4, new byte[60])));
        assertTrue(e.getMessage().contains("5x4"), e.getMessage());
    }

    @Test
    void recordIsImmutableAndValidated() {
        ImagePreprocessor pre = ImagePreprocessor.blip(384);
        pre.mean()[0] = 99f;
        assertEquals(0.48145466f, pre.mean()[0]);
        assertEquals(ImagePreprocessor.blip(384), pre);
        assertEquals(ImagePreprocessor.blip(384).hashCode(), pre.hashCode());
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.blip(0));
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().std(1, 0, 1).build());
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().mean(1, 2).build());
        assertTrue(pre.toString().contains("384x384"));
    }
}
