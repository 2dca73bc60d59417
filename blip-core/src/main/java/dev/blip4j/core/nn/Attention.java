package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.BlipEngine;
import java.util.function.UnaryOperator;

/**
 * Scaled dot-product attention over several heads, shared by the ViT blocks and the three modes
 * of the BERT layer. Keys and values are kept split by head, [batch, heads, tokens, headDim], which
 * is also the layout of the decoder's key/value cache.
 */
public final class Attention {

    /**
     * Queries from which {@link #attend} runs libtorch's fused kernel rather than the written-out
     * products (faster from there, measured on 2 AVX-512 cores for BLIP-base).
     */
    public static final long FUSED_FROM_QUERIES = 128;

    private Attention() {}

    /** [B, T, heads*d] to [B, heads, T, d]. */
    public static NDArray splitHeads(NDArray x, int heads) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long d = x.getShape().get(2) / heads;
        return x.reshape(b, t, heads, d).transpose(0, 2, 1, 3);
    }

    /** [B, heads, T, d] to [B, T, heads*d]. */
    public static NDArray mergeHeads(NDArray x) {
        long b = x.getShape().get(0);
        long h = x.getShape().get(1);
        long t = x.getShape().get(2);
        long d = x.getShape().get(3);
        return x.transpose(0, 2, 1, 3).reshape(b, t, h * d);
    }

    /**
     * {@code softmax(q k^T / sqrt(d) + bias) v}.
     *
     * @param q [B, h, Tq, d]
     * @param k [B, h, Tk, d]
     * @param v [B, h, Tk, d]
     * @param bias additive mask broadcastable to [B, h, Tq, Tk] (0 keeps, a large negative drops), or null
     * @return [B, h, Tq, d]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias) {
        return attend(q, k, v, bias, null);
    }

    /**
     * As {@link #attend(NDArray, NDArray, NDArray, NDArray)}, with the attention probabilities
     * [B, h, Tq, Tk] passed through {@code probe} before they weight the values: what it returns is
     * used in their place. Grad-CAM makes them a leaf of autograd there; null leaves them alone.
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, UnaryOperator<NDArray> probe) {
        if (probe == null && q.getDataType() == DataType.FLOAT32 && !BlipEngine.recordingGradients()
                && Kernels.AVAILABLE) {
            boolean many = q.getShape().get(2) >= FUSED_FROM_QUERIES;
            double scale = 1.0 / Math.sqrt(q.getShape().get(3));
            if (bias == null) {
                return many ? Kernels.FUSED.apply(q.getManager(), q, k, v)
                        : Kernels.WRITTEN.apply(q.getManager(), q, k, v, scale);
            }
            NDArray b = bias.toType(DataType.FLOAT32, false);
            return many ? Kernels.FUSED_BIAS.apply(q.getManager(), q, k, v, b)
                    : Kernels.WRITTEN_BIAS.apply(q.getManager(), q, k, v, scale, b);
        }
        // Scaling the queries rather than the scores touches d instead of Tk values per query row;
        // for BLIP's 16- and 64-wide heads the factor is a power of two, so the result is identical.
        // The factor is an array libtorch makes: DJL's mul(Number) wraps the number in a direct buffer
        // that it closes after the call, while autograd (Grad-CAM) keeps that operand for the backward
        // pass; once the JVM collected the buffer, another thread's data stood in for the factor.
        NDArray scale = q.getManager().full(new Shape(), (float) (1.0 / Math.sqrt(q.getShape().get(3))),
                q.getDataType());
        NDArray scores = q.mul(scale).matMul(k.transpose(0, 1, 3, 2));
        if (bias != null) {
            scores = scores.addi(bias);
        }
        NDArray probabilities = scores.softmax(-1);
        return (probe == null ? probabilities : probe.apply(probabilities)).matMul(v);
    }

    /** Whether {@link #attend} runs as one libtorch call where it can (false where unfused is asked for). */
    public static boolean compiled() {
        return Kernels.AVAILABLE;
    }

    /**
     * Attention as one libtorch call, compiled once: the written-out form below, and for many
     * queries libtorch's fused kernel ({@code scaled_dot_product_attention}, a flash-attention kernel
     * on CPUs). The fused kernel keeps a block's [Tq, Tk] scores in cache instead of writing them
     * out: for the ViT's 577 tokens they are 16 MB per image and layer, and at batch 8 their traffic
     * cost more than the products (0.95 against 2.61 images/s). For a few queries (decoder steps,
     * beams, a text) the written-out products win (1.1 against 3.0 ms for 3 beams of 8 images over
     * 577 image tokens). Same softmax, another summation order (differences of a few 1e-7). Autograd
     * (Grad-CAM), a probe and half precision keep the DJL form; {@code -Dblip4j.attention=unfused}
     * does too, to compare.
     */
    private static final class Kernels {

        static final CompiledKernel FUSED = new CompiledKernel("AttendFused", "q: Tensor, k: Tensor, v: Tensor",
                "Tensor", "return torch.scaled_dot_product_attention(q, k, v)");
        static final CompiledKernel FUSED_BIAS = new CompiledKernel("AttendFusedBias",
                "q: Tensor, k: Tensor, v: Tensor, bias: Tensor", "Tensor",
                "return torch.scaled_dot_product_attention(q, k, v, bias)");
        static final CompiledKernel WRITTEN = new CompiledKernel("AttendWritten",
                "q: Tensor, k: Tensor, v: Tensor, scale: float", "Tensor", """
                scores = torch.matmul(torch.mul(q, scale), torch.transpose(k, -1, -2))
                return torch.matmul(torch.softmax(scores, -1), v)
                """);
        static final CompiledKernel WRITTEN_BIAS = new CompiledKernel("AttendWrittenBias",
                "q: Tensor, k: Tensor, v: Tensor, scale: float, bias: Tensor", "Tensor", """
                scores = torch.add(torch.matmul(torch.mul(q, scale), torch.transpose(k, -1, -2)), bias)
                return torch.matmul(torch.softmax(scores, -1), v)
                """);

        /** Decided once, when first asked (class initialisation is lazy and thread-safe). */
        static final boolean AVAILABLE = !"unfused".equalsIgnoreCase(System.getProperty("blip4j.attention"))
                && CompiledKernel.compiles(FUSED, FUSED_BIAS, WRITTEN, WRITTEN_BIAS);
    }
}
