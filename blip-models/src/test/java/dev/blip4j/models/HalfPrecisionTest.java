package dev.blip4j.models;

import static dev.blip4j.models.testing.Arrays2.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Half-precision weights run end to end with float32 in and out, and move the outputs only as far
 * as float16's 11 bits of mantissa allow. bfloat16 is refused: DJL 0.36 cannot cast to it.
 */
class HalfPrecisionTest {

    @Test
    void bfloat16IsRefusedBeforeItCanAbortTheProcess() {
        InputException e = assertThrows(InputException.class,
                () -> BlipModel.builder(Golden.of("caption").hf()).dtype(DataType.BFLOAT16).load());
        assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"FLOAT16"})
    void halfPrecisionWeightsStayCloseToFloat32(String type) {
        DataType dtype = DataType.valueOf(type);
        Golden g = Golden.of("caption");
        try (BlipModel half = BlipModel.builder(g.hf()).dtype(dtype).load();
                NDManager m = half.network().newManager()) {
            Blip net = half.network();
            assertEquals(dtype, net.dtype());
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            assertEquals(DataType.FLOAT32, images.getDataType());
            float[] got = images.toFloatArray();
            float[] want = g.tensor("image_embeds").toFloatArray();
            double maxErr = 0;
            for (int i = 0; i < got.length; i++) {
                maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
            }
            System.out.printf("%s image embeddings: max abs error %.3g vs the float32 golden%n", type, maxErr);
            assertTrue(maxErr < 0.05, type + " error " + maxErr);
            String caption = new Captioner(half).caption(half.readImage(Golden.image(1))).get(0).text();
            assertTrue(!caption.isBlank(), "a " + type + " model still captions");
        }
    }
}
