package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.IValue;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.Precision;

/**
 * A linear layer whose weights are packed once, at load time, for the kernel that runs them, with
 * float32 activations in and out. The decoder reads every weight once per token and the text
 * encoder at batch 1 runs a dozen rows, so what matters is how fast a kernel streams a weight for a
 * few rows: MKL's {@code x W^T} repacks the whole weight at every call for 2 to 30 rows; oneDNN
 * with a prepacked weight does not.
 * <ul>
 *   <li>{@link Precision#FLOAT}: float32 weights in oneDNN's blocked layout
 *       ({@code mkldnn::_linear_pointwise}, what PyTorch's mkldnn path and torch.compile use on
 *       CPUs). Same precision as {@link Linear.Dense}, a different summation order.</li>
 *   <li>{@link Precision#BFLOAT16}: weights in bfloat16, the input rounded to bfloat16 for the
 *       product (oneDNN's kernels, native on CPUs with AVX512_BF16), the float32 bias added after.
 *       Half the bytes; about 3 significant digits per weight.</li>
 *   <li>{@link Precision#INT8}: weights quantized per output channel to int8 (symmetric, scale
 *       max|w| / 127), the input quantized per call ({@code quantized::linear_dynamic}, fbgemm):
 *       PyTorch's dynamic quantization of {@code nn.Linear}. A quarter of the bytes.</li>
 * </ul>
 * DJL binds none of these, so they run as {@link TorchScript} functions compiled once per process.
 */
public final class PackedLinear implements Linear {

    private final Precision precision;
    private final long in;
    private final long out;
    /** FLOAT: the weight in oneDNN's layout; BFLOAT16: [out, in] in bfloat16. The bias stays float32 (or null). */
    private final NDArray weight;
    private final NDArray bias;
    /** INT8: fbgemm's packed weight and bias ({@code LinearPackedParamsBase}). */
    private final IValue packed;

    private PackedLinear(Precision precision, long in, long out, NDArray weight, NDArray bias, IValue packed) {
        this.precision = precision;
        this.in = in;
        this.out = out;
        this.weight = weight;
        this.bias = bias;
        this.packed = packed;
    }

    /**
     * The layer {@code dense} packed for {@code precision}'s kernel. Its packed weights belong to
     * {@code owner} (closed with it); {@code dense} is left as it is.
     */
    public static PackedLinear of(Linear.Dense dense, Precision precision, NDManager owner) {
        NDArray w = dense.weight();
        NDArray b = dense.bias();
        if (w.getDataType() != DataType.FLOAT32 || b != null && b.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("packing starts from float32 weights, got " + w.getDataType());
        }
        return switch (precision) {
            case BFLOAT16 -> new PackedLinear(precision, dense.inFeatures(), dense.outFeatures(),
                    Kernels.BF16.get().apply(owner, w), b, null);
            case INT8 -> {
                IValue packed = b == null ? Kernels.PACK_INT8.get().call(w) : Kernels.PACK_INT8_BIAS.get().call(w, b);
                owner.attachInternal("int8-linear-" + System.identityHashCode(packed) + "-" + System.nanoTime(), packed);
                yield new PackedLinear(precision, dense.inFeatures(), dense.outFeatures(), null, null, packed);
            }
            case FLOAT -> new PackedLinear(precision, dense.inFeatures(), dense.outFeatures(),
                    Kernels.ONEDNN_PACK.get().apply(owner, w), b, null);
        };
    }

    /**
     * Whether float32 layers can be packed for oneDNN: the engine was built with it and
     * {@code -Dblip4j.linear=mkl} does not ask for MKL's dense products instead.
     */
    public static boolean oneDnnAvailable() {
        return Kernels.ONEDNN_AVAILABLE;
    }

    /**
     * {@code dense} packed for oneDNN if the packed product agrees with {@code dense}'s on a test
     * input, else null. {@code _linear_pointwise} runs the packed weight without reordering it,
     * trusting it to be in the layout its primitive picks; for some output widths it is not and the
     * product is wrong at every row count (48, 96, 144, 304 outputs: the golden tiny models; never
     * BLIP-base's 768, 1536, 2304, 3072 or 30524): each layer is checked once, at load, rather than
     * trusted.
     */
    public static PackedLinear oneDnn(Linear.Dense dense, NDManager owner) {
        PackedLinear packed = of(dense, Precision.FLOAT, owner);
        try (NDManager check = owner.newSubManager()) {
            for (int rows : new int[] {1, 7, 64}) {
                NDArray x = check.randomNormal(0, 1, new ai.djl.ndarray.types.Shape(rows, dense.inFeatures()),
                        DataType.FLOAT32);
                NDArray want = ai.djl.nn.core.Linear.linear(x, dense.weight(), dense.bias()).singletonOrThrow();
                float scale = want.abs().max().getFloat();
                float err = packed.apply(x).sub(want).abs().max().getFloat();
                if (!(err <= 1e-4f * Math.max(1f, scale))) {
                    packed.weight.close();
                    return null;
                }
            }
        }
        return packed;
    }

    public Precision precision() {
        return precision;
    }

    /**
     * The packed weight and the bias, for TorchScript that calls the same oneDNN product inside a
     * larger function ({@code text.CompiledLayers}); null unless this is a float32 layer with a bias.
     */
    public NDArray[] oneDnnOperands() {
        return precision == Precision.FLOAT && bias != null ? new NDArray[] {weight, bias} : null;
    }

    /** The TorchScript expression of this layer's product of {@code x}, with its two operands named. */
    public static String oneDnnProduct(String x, String weight, String bias) {
        return "ops.mkldnn._linear_pointwise(" + x + ".contiguous(), " + weight + ", " + bias
                + ", \"none\", annotate(List[Optional[number]], []), \"\")";
    }

    @Override
    public NDArray apply(NDArray x) {
        if (x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("a " + precision + " linear layer takes float32 input, got "
                    + x.getDataType());
        }
        NDManager m = x.getManager();
        if (BlipEngine.recordingGradients()) {
            return differentiable(x);
        }
        if (precision == Precision.INT8) {
            return Kernels.INT8_LINEAR.get().apply(m, x, packed);
        }
        if (precision == Precision.FLOAT) {
            return bias == null ? Kernels.ONEDNN_LINEAR.get().apply(m, x, weight)
                    : Kernels.ONEDNN_LINEAR_BIAS.get().apply(m, x, weight, bias);
        }
        return bias == null ? Kernels.BF16_LINEAR.get().apply(m, x, weight)
                : Kernels.BF16_LINEAR_BIAS.get().apply(m, x, weight, bias);
    }

    /**
     * The product through DJL's linear, which autograd can go back through (Grad-CAM): libtorch runs
     * TorchScript in inference mode, whose results cannot be saved for a backward pass. The weight is
     * unpacked to float32 for the call (a copy, made a normal tensor by the clone).
     */
    private NDArray differentiable(NDArray x) {
        return Scoped.compute(() -> {
            NDManager m = x.getManager();
            NDArray unpacked = switch (precision) {
                case FLOAT -> Kernels.ONEDNN_UNPACK.get().apply(m, weight);
                case BFLOAT16 -> Kernels.BF16_UNPACK.get().apply(m, weight);
                case INT8 -> Kernels.INT8_UNPACK.get().apply(m, packed);
            };
            NDArray w = unpacked.duplicate();
            return ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow();
        });
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

        static final CompiledKernel ONEDNN_PACK = new CompiledKernel("PackOneDnn", "w: Tensor", "Tensor",
                "return ops.mkldnn._reorder_linear_weight(w, None)");
        /** oneDNN reads its input as dense rows: a strided view (the last position of each row) is copied first. */
        static final CompiledKernel ONEDNN_LINEAR = new CompiledKernel("LinearOneDnn", "x: Tensor, w: Tensor", "Tensor",
                "return " + oneDnnProduct("x", "w", "None"));
        static final CompiledKernel ONEDNN_LINEAR_BIAS = new CompiledKernel("LinearOneDnnBias", "x: Tensor, w: Tensor, b: Tensor", "Tensor",
                "return " + oneDnnProduct("x", "w", "b"));
        static final CompiledKernel ONEDNN_UNPACK = new CompiledKernel("UnpackOneDnn", "w: Tensor", "Tensor", "return w.to_dense()");
        static final CompiledKernel BF16_UNPACK = new CompiledKernel("UnpackBfloat16", "w: Tensor", "Tensor", "return torch.to(w, 6)");
        static final CompiledKernel INT8_UNPACK = new CompiledKernel("UnpackInt8",
                "p: __torch__.torch.classes.quantized.LinearPackedParamsBase", "Tensor",
                "return torch.dequantize(ops.quantized.linear_unpack(p)[0])");
        static final CompiledKernel BF16 = new CompiledKernel("ToBfloat16", "w: Tensor", "Tensor", "return torch.to(w, 15)");
        static final CompiledKernel BF16_LINEAR = new CompiledKernel("LinearBfloat16", "x: Tensor, w: Tensor", "Tensor",
                "return torch.to(torch.linear(torch.to(x, 15), w), 6)");
        static final CompiledKernel BF16_LINEAR_BIAS = new CompiledKernel("LinearBfloat16Bias", "x: Tensor, w: Tensor, b: Tensor", "Tensor",
                "return torch.add(torch.to(torch.linear(torch.to(x, 15), w), 6), b)");
        /** Per output channel, symmetric: scale max|w| / 127 (ScalarType 12 = qint8, 4 = int64). */
        private static final String QUANTIZE = """
                scale = torch.clamp(torch.div(torch.amax(torch.abs(w), [1]), 127.0), 1e-12)
                zero = torch.zeros([torch.size(w, 0)], dtype=4)
                q = torch.quantize_per_channel(w, scale, zero, 0, 12)
                """;
        static final CompiledKernel PACK_INT8 = new CompiledKernel("PackInt8", "w: Tensor",
                "__torch__.torch.classes.quantized.LinearPackedParamsBase", QUANTIZE
                        + "return ops.quantized.linear_prepack(q, None)");
        static final CompiledKernel PACK_INT8_BIAS = new CompiledKernel("PackInt8Bias", "w: Tensor, b: Tensor",
                "__torch__.torch.classes.quantized.LinearPackedParamsBase", QUANTIZE
                        + "return ops.quantized.linear_prepack(q, b)");
        /** reduce_range as PyTorch's fbgemm default: 7-bit activations, no overflow without VNNI. */
        static final CompiledKernel INT8_LINEAR = new CompiledKernel("LinearInt8",
                "x: Tensor, p: __torch__.torch.classes.quantized.LinearPackedParamsBase", "Tensor",
                "return ops.quantized.linear_dynamic(x, p, True)");

        /** Decided once, when first asked (class initialisation is lazy and thread-safe). */
        static final boolean ONEDNN_AVAILABLE = !"mkl".equalsIgnoreCase(System.getProperty("blip4j.linear"))
                && CompiledKernel.compiles(ONEDNN_PACK, ONEDNN_LINEAR_BIAS);
    }
}
