package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.IValue;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.InputException;
import dev.blip4j.core.Precision;

/**
 * A linear layer whose weights are kept in fewer bytes than float32, with float32 activations in
 * and out: the decoder reads every weight once per token, so its speed is the weights' bytes over
 * the memory bandwidth.
 * <ul>
 *   <li>{@link Precision#BFLOAT16}: weights in bfloat16, the input rounded to bfloat16 for the
 *       product (oneDNN's kernels, native on CPUs with AVX512_BF16), the float32 bias added after.
 *       Half the bytes; about 3 significant digits per weight.</li>
 *   <li>{@link Precision#INT8}: weights quantized per output channel to int8 (symmetric, scale
 *       max|w| / 127), the input quantized per call ({@code quantized::linear_dynamic}, fbgemm):
 *       PyTorch's dynamic quantization of {@code nn.Linear}. A quarter of the bytes.</li>
 * </ul>
 * DJL binds neither, so both run as {@link TorchScript} functions compiled once per process.
 */
public final class ReducedLinear implements Linear {

    private final Precision precision;
    private final long in;
    private final long out;
    /** BFLOAT16: the weight [out, in] in bfloat16 and the float32 bias (or null). */
    private final NDArray weight;
    private final NDArray bias;
    /** INT8: fbgemm's packed weight and bias ({@code LinearPackedParamsBase}). */
    private final IValue packed;

    private ReducedLinear(Precision precision, long in, long out, NDArray weight, NDArray bias, IValue packed) {
        this.precision = precision;
        this.in = in;
        this.out = out;
        this.weight = weight;
        this.bias = bias;
        this.packed = packed;
    }

    /**
     * The layer {@code dense} in {@code precision} (BFLOAT16 or INT8). Its reduced weights belong to
     * {@code owner} (closed with it); {@code dense} is left as it is.
     */
    public static ReducedLinear of(Linear.Dense dense, Precision precision, NDManager owner) {
        NDArray w = dense.weight();
        NDArray b = dense.bias();
        if (w.getDataType() != DataType.FLOAT32 || b != null && b.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("reduced precision starts from float32 weights, got " + w.getDataType());
        }
        return switch (precision) {
            case BFLOAT16 -> new ReducedLinear(precision, dense.inFeatures(), dense.outFeatures(),
                    Kernels.BF16.get().apply(owner, w), b, null);
            case INT8 -> {
                IValue packed = b == null ? Kernels.PACK_INT8.get().call(w) : Kernels.PACK_INT8_BIAS.get().call(w, b);
                owner.attachInternal("int8-linear-" + System.identityHashCode(packed) + "-" + System.nanoTime(), packed);
                yield new ReducedLinear(precision, dense.inFeatures(), dense.outFeatures(), null, null, packed);
            }
            case FLOAT -> throw new IllegalArgumentException("FLOAT is the dense layer itself");
        };
    }

    public Precision precision() {
        return precision;
    }

    @Override
    public NDArray apply(NDArray x) {
        if (x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("a " + precision + " linear layer takes float32 input, got "
                    + x.getDataType());
        }
        NDManager m = x.getManager();
        if (precision == Precision.INT8) {
            return Kernels.INT8_LINEAR.get().apply(m, x, packed);
        }
        return bias == null ? Kernels.BF16_LINEAR.get().apply(m, x, weight)
                : Kernels.BF16_LINEAR_BIAS.get().apply(m, x, weight, bias);
    }

    @Override
    public long inFeatures() {
        return in;
    }

    @Override
    public long outFeatures() {
        return out;
    }

    /** The TorchScript functions, compiled on first use and kept for the life of the process. */
    private static final class Kernels {

        private static final NDManager OWNER = BlipEngine.newManager(null);

        static final Lazy BF16 = new Lazy("ToBfloat16", "w: Tensor", "Tensor", "return torch.to(w, 15)");
        static final Lazy BF16_LINEAR = new Lazy("LinearBfloat16", "x: Tensor, w: Tensor", "Tensor",
                "return torch.to(torch.linear(torch.to(x, 15), w), 6)");
        static final Lazy BF16_LINEAR_BIAS = new Lazy("LinearBfloat16Bias", "x: Tensor, w: Tensor, b: Tensor", "Tensor",
                "return torch.add(torch.to(torch.linear(torch.to(x, 15), w), 6), b)");
        /** Per output channel, symmetric: scale max|w| / 127 (ScalarType 12 = qint8, 4 = int64). */
        private static final String QUANTIZE = """
                scale = torch.clamp(torch.div(torch.amax(torch.abs(w), [1]), 127.0), 1e-12)
                zero = torch.zeros([torch.size(w, 0)], dtype=4)
                q = torch.quantize_per_channel(w, scale, zero, 0, 12)
                """;
        static final Lazy PACK_INT8 = new Lazy("PackInt8", "w: Tensor",
                "__torch__.torch.classes.quantized.LinearPackedParamsBase", QUANTIZE
                        + "return ops.quantized.linear_prepack(q, None)");
        static final Lazy PACK_INT8_BIAS = new Lazy("PackInt8Bias", "w: Tensor, b: Tensor",
                "__torch__.torch.classes.quantized.LinearPackedParamsBase", QUANTIZE
                        + "return ops.quantized.linear_prepack(q, b)");
        /** reduce_range as PyTorch's fbgemm default: 7-bit activations, no overflow without VNNI. */
        static final Lazy INT8_LINEAR = new Lazy("LinearInt8",
                "x: Tensor, p: __torch__.torch.classes.quantized.LinearPackedParamsBase", "Tensor",
                "return ops.quantized.linear_dynamic(x, p, True)");

        /** A function compiled once, on first use, by whichever thread asks first. */
        static final class Lazy {
            private final String name;
            private final String parameters;
            private final String returns;
            private final String body;
            private volatile TorchScript compiled;

            Lazy(String name, String parameters, String returns, String body) {
                this.name = name;
                this.parameters = parameters;
                this.returns = returns;
                this.body = body;
            }

            TorchScript get() {
                TorchScript t = compiled;
                if (t == null) {
                    synchronized (this) {
                        if (compiled == null) {
                            try {
                                compiled = TorchScript.compile(name, parameters, returns, body, OWNER);
                            } catch (IllegalStateException e) {
                                throw new InputException("this libtorch build cannot run " + name
                                        + " (reduced precision is unavailable here): " + e.getMessage()
                                        .lines().findFirst().orElse(""), e);
                            }
                        }
                        t = compiled;
                    }
                }
                return t;
            }
        }
    }
}
