package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.BlipEngine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link TensorData#floatToHalf} against the exact inverse and against libtorch's own rounding. */
class HalfConversionTest {

    @Test
    void everyHalfSurvivesTheRoundTrip() {
        for (int h = 0; h < 0x10000; h++) {
            float f = TensorData.halfToFloat((short) h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(TensorData.halfToFloat(TensorData.floatToHalf(f))), "NaN " + h);
            } else {
                assertEquals((short) h, TensorData.floatToHalf(f), "half bits " + Integer.toHexString(h));
            }
        }
    }

    @Test
    void roundsAsLibtorchDoes() {
        SplittableRandom random = new SplittableRandom(3);
        int n = 200_000;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (i % 5) {
                case 0 -> (float) random.nextDouble(-1, 1);
                case 1 -> (float) (random.nextDouble(-1, 1) * 1e-5); // subnormal halves
                case 2 -> (float) (random.nextDouble(-1, 1) * 7e4); // beyond 65504 too
                // exactly halfway between two halves: ties to even
                case 3 -> TensorData.halfToFloat((short) random.nextInt(0x7c00)) * (1 + 0x1p-11f);
                default -> (float) random.nextGaussian() * 0.0625f;
            };
        }
        try (NDManager m = BlipEngine.newManager(null)) {
            NDArray half = m.create(values).toType(DataType.FLOAT16, false);
            ByteBuffer bits = ByteBuffer.wrap(half.toByteArray()).order(ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
                assertEquals(bits.getShort(2 * i), TensorData.floatToHalf(values[i]), "value " + values[i]);
            }
            assertEquals(new Shape(n), half.getShape());
        }
    }
}
