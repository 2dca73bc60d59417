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
                && Fused.AVAILABLE) {
            return bias == null ? Fused.ATTEND.apply(q.getManager(), q, k, v)
                    : Fused.ATTEND_BIAS.apply(q.getManager(), q, k, v, bias.toType(DataType.FLOAT32, false));
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

    /** Whether {@link #attend} runs libtorch's fused kernel where it can (false where unfused is asked for). */
    static boolean fused() {
        return Fused.AVAILABLE;
    }

    /**
     * libtorch's fused attention ({@code scaled_dot_product_attention}, a flash-attention kernel on
     * CPUs): one call where the written-out form takes five, and the [Tq, Tk] scores of a block of
     * queries stay in cache instead of going to memory. For the ViT at 577 tokens the written-out
     * scores are 16 MB per image and layer, and beyond a few images per batch their traffic cost more
     * than the products themselves. Same softmax, a different summation order (differences of a few
     * 1e-7). Not used where the probabilities are wanted (Grad-CAM) or autograd runs, nor for
     * half precision, which keep the written-out form; {@code -Dblip4j.attention=unfused} turns it
     * off to compare.
     */
    private static final class Fused {
        static final CompiledKernel ATTEND = new CompiledKernel("AttendFused", "q: Tensor, k: Tensor, v: Tensor",
                "Tensor", "return torch.scaled_dot_product_attention(q, k, v)");
        static final CompiledKernel ATTEND_BIAS = new CompiledKernel("AttendFusedBias",
                "q: Tensor, k: Tensor, v: Tensor, bias: Tensor", "Tensor",
                "return torch.scaled_dot_product_attention(q, k, v, bias)");
        /** Decided once, when first asked (class initialisation is lazy and thread-safe). */
        static final boolean AVAILABLE = !"unfused".equalsIgnoreCase(System.getProperty("blip4j.attention"))
                && CompiledKernel.compiles(ATTEND, ATTEND_BIAS);
    }
}
