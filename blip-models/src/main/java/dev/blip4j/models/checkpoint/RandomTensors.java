package dev.blip4j.models.checkpoint;

import dev.blip4j.core.generate.Seeds;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random tensors drawn as PyTorch initialises them (normal, std 0.02; zero biases; unit
 * LayerNorms), each depending only on the seed and its name, for the random checkpoints of
 * {@code blip bench}. Values go straight into direct buffers, which become the weights' memory.
 */
record RandomTensors(long seed) {

    TensorData normal(String name, long... shape) {
        int n = Math.toIntExact(TensorData.numel(shape));
        ByteBuffer bytes = ByteBuffer.allocateDirect(Math.multiplyExact(n, 4)).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer floats = bytes.asFloatBuffer();
        SplittableRandom random = new SplittableRandom(Seeds.mix(seed, name));
        for (int i = 0; i < n; i++) {
            floats.put(i, (float) (random.nextGaussian() * 0.02));
        }
        return new TensorData(DType.F32, shape, bytes);
    }

    /** {@code prefix.weight} [out, in] and a zero {@code prefix.bias}. */
    void linear(Map<String, TensorData> t, String prefix, int out, int in) {
        t.put(prefix + ".weight", normal(prefix + ".weight", out, in));
        t.put(prefix + ".bias", zeros(out));
    }

    static void layerNorm(Map<String, TensorData> t, String prefix, int width) {
        t.put(prefix + ".weight", filled(width, 1f));
        t.put(prefix + ".bias", zeros(width));
    }

    /** The {@code position_ids} buffer BERT embeddings register, [1, n]. */
    static TensorData positionIds(int n) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            bytes.putLong(i * 8, i);
        }
        return new TensorData(DType.I64, new long[] {1, n}, bytes);
    }

    static TensorData zeros(long n) {
        return filled(n, 0f);
    }

    static TensorData filled(long n, float value) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(Math.toIntExact(n * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            bytes.putFloat(i * 4, value);
        }
        return new TensorData(DType.F32, new long[] {n}, bytes);
    }
}
