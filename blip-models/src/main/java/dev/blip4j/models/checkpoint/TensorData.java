package dev.blip4j.models.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor as read from a checkpoint, before it becomes an NDArray: its dtype, shape and
 * contiguous row-major little-endian bytes. Tensors that share storage in a {@code .pth} file
 * (tied weights) are returned as the same instance, so a loader can keep one copy.
 *
 * @param dtype element type
 * @param shape dimensions, row-major; empty for a scalar
 * @param data exactly {@code numel * dtype.byteSize()} bytes, little-endian, position 0
 */
public record TensorData(DType dtype, long[] shape, ByteBuffer data) {

    public TensorData {
        shape = shape.clone();
        data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long expected = numel(shape) * dtype.byteSize();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor of " + dtype + " " + Arrays.toString(shape)
                    + " needs " + expected + " bytes, has " + data.remaining());
        }
    }

    /** A float32 tensor of {@code values} (row-major), e.g. for {@link SafeTensors#write}. */
    public static TensorData ofFloats(long[] shape, float[] values) {
        return ofFloats(shape, values, 0);
    }

    /** A float32 tensor of the {@code numel(shape)} values of {@code values} starting at {@code from}. */
    public static TensorData ofFloats(long[] shape, float[] values, int from) {
        int n = Math.toIntExact(numel(shape));
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(n, 4)).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values, from, n);
        return new TensorData(DType.F32, shape, b);
    }

    /** A float16 tensor of {@code values} (row-major), each rounded by {@link #floatToHalf}. */
    public static TensorData ofHalves(long[] shape, float[] values) {
        int n = Math.toIntExact(numel(shape));
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(n, 2)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putShort(2 * i, floatToHalf(values[i]));
        }
        return new TensorData(DType.F16, shape, b);
    }

    /** An int64 tensor of {@code values} (row-major). */
    public static TensorData ofLongs(long[] shape, long[] values) {
        int n = Math.toIntExact(numel(shape));
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(n, 8)).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values, 0, n);
        return new TensorData(DType.I64, shape, b);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        return numel(shape);
    }

    /** Product of the dimensions; throws on a negative dimension or an overflowing product. */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The values widened to float, whatever the floating dtype. Convenient for tests and small tensors. */
    public float[] toFloatArray() {
        int n = Math.toIntExact(numel());
        float[] out = new float[n];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case F32 -> b.getFloat(i * 4);
                case F64 -> (float) b.getDouble(i * 8);
                case F16 -> halfToFloat(b.getShort(i * 2));
                case BF16 -> Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
                case I64 -> b.getLong(i * 8);
                case I32 -> b.getInt(i * 4);
                case I16 -> b.getShort(i * 2);
                case I8 -> b.get(i);
                case U8, BOOL -> b.get(i) & 0xff;
            };
        }
        return out;
    }

    /** The values as longs (integer dtypes only). */
    public long[] toLongArray() {
        int n = Math.toIntExact(numel());
        long[] out = new long[n];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case I64 -> b.getLong(i * 8);
                case I32 -> b.getInt(i * 4);
                case I16 -> b.getShort(i * 2);
                case I8 -> b.get(i);
                case U8, BOOL -> b.get(i) & 0xff;
                default -> throw new IllegalStateException("not an integer tensor: " + dtype);
            };
        }
        return out;
    }

    /** IEEE 754 binary16 to float (Java 17 has no {@code Float.float16ToFloat}). */
    public static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float f = mant * 0x1p-24f;
            return sign != 0 ? -f : f;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * float to IEEE 754 binary16, rounded to nearest with ties to even as PyTorch's {@code .half()}:
     * beyond 65504 to infinity, below 2^-14 to a subnormal, NaN stays NaN.
     */
    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | mant >>> 13 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        int shift = 13;
        int kept;
        if (e > 0) {
            kept = e << 10 | mant >>> 13;
        } else { // a subnormal half: the significand with its leading one, in units of 2^-24
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            shift = 14 - e;
            kept = mant >>> shift;
        }
        int rest = mant & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || rest == halfway && (kept & 1) != 0) {
            kept++; // a carry into the exponent is right, up to infinity
        }
        return (short) (sign | kept);
    }

    @Override
    public String toString() {
        return "TensorData[" + dtype + " " + java.util.Arrays.toString(shape) + ", " + data.remaining() + " bytes]";
    }
}
