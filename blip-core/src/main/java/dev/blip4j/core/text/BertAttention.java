package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.blip4j.core.nn.Attention;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Linear;
import java.util.function.UnaryOperator;

/**
 * BERT's attention sublayer, post-norm: {@code norm(x + output(attention(query(x), keys, values)))}.
 * The same type serves self-attention (keys from the text) and cross-attention (keys from the
 * image); only where {@link #project} is applied differs.
 *
 * @param keyValue key and value projections fused side by side: [2H, inputWidth]
 */
public record BertAttention(Linear query, Linear keyValue, Linear output, LayerNorm norm, int heads) {

    /** Keys and values of {@code states} [B, N, width], split by head. */
    public KeyValue project(NDArray states) {
        NDArray fused = keyValue.apply(states);
        NDList kv = fused.split(2, fused.getShape().dimension() - 1);
        return new KeyValue(Attention.splitHeads(kv.get(0), heads), Attention.splitHeads(kv.get(1), heads));
    }

    /**
     * @param x [R, T, H] hidden states asking
     * @param kv keys and values to attend to, with R / groups rows
     * @param bias additive mask broadcastable to [R / groups, heads, groups * T, N], or null
     * @param groups consecutive rows of {@code x} that share one row of {@code kv}: the beams of one
     *     image attend to that image's keys without copying them
     */
    public NDArray forward(NDArray x, KeyValue kv, NDArray bias, int groups) {
        return residual(x, attend(x, kv, bias, groups, null));
    }

    /**
     * The sublayer's contribution before the residual and the norm: {@code output(attention(...))},
     * [R, T, H]. NLVR2's twinned cross-attention combines two of these under one norm.
     *
     * @param probe sees (and may replace) the attention probabilities, see {@link Attention#attend}; null for none
     */
    public NDArray attend(NDArray x, KeyValue kv, NDArray bias, int groups, UnaryOperator<NDArray> probe) {
        NDArray q = Attention.splitHeads(query.apply(x), heads);
        NDArray context;
        if (groups == 1) {
            context = Attention.attend(q, kv.key(), kv.value(), bias, probe);
        } else {
            long rows = q.getShape().get(0);
            long t = q.getShape().get(2);
            long d = q.getShape().get(3);
            NDArray grouped = q.reshape(rows / groups, groups, heads, t, d)
                    .transpose(0, 2, 1, 3, 4)
                    .reshape(rows / groups, heads, groups * t, d);
            context = Attention.attend(grouped, kv.key(), kv.value(), bias, probe)
                    .reshape(rows / groups, heads, groups, t, d)
                    .transpose(0, 2, 1, 3, 4)
                    .reshape(rows, heads, t, d);
        }
        return output.apply(Attention.mergeHeads(context));
    }

    /** {@code norm(x + delta)}: BERT's residual connection and post-norm. */
    public NDArray residual(NDArray x, NDArray delta) {
        return norm.apply(x.add(delta));
    }
}
