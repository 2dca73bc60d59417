package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import dev.blip4j.core.nn.Attention;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Linear;
import java.util.List;

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
        return forward(x, List.of(new AttendedKeys(kv, bias, groups)));
    }

    /**
     * Attention where consecutive runs of rows attend to keys of their own (see {@link AttendedKeys}):
     * the projections run once over every row, the attention once per run.
     *
     * @param runs covering the rows of {@code x} in order
     */
    NDArray forward(NDArray x, List<AttendedKeys> runs) {
        return residual(x, attention(x, runs));
    }

    /**
     * The sublayer's contribution before the residual and the norm, {@code output(attention(...))}
     * [R, T, H]: NLVR2's twinned cross-attention combines two of these under one norm.
     */
    NDArray attention(NDArray x, List<AttendedKeys> runs) {
        NDArray q = Attention.splitHeads(query.apply(x), heads);
        NDArray context;
        if (runs.size() == 1) {
            context = attend(q, runs.get(0));
        } else {
            NDList parts = new NDList(runs.size());
            long row = 0;
            for (AttendedKeys run : runs) {
                parts.add(attend(q.get(new NDIndex("{}:{}", row, row + run.rows())), run));
                row += run.rows();
            }
            context = NDArrays.concat(parts);
        }
        return output.apply(Attention.mergeHeads(context));
    }

    /** {@code norm(x + delta)}: BERT's residual connection and post-norm. */
    NDArray residual(NDArray x, NDArray delta) {
        return norm.apply(x.add(delta));
    }

    private NDArray attend(NDArray q, AttendedKeys to) {
        KeyValue kv = to.keyValue();
        int groups = to.groups();
        if (groups == 1) {
            return Attention.attend(q, kv.key(), kv.value(), to.bias(), to.probe());
        }
        long rows = q.getShape().get(0);
        long t = q.getShape().get(2);
        long d = q.getShape().get(3);
        NDArray grouped = q.reshape(rows / groups, groups, heads, t, d)
                .transpose(0, 2, 1, 3, 4)
                .reshape(rows / groups, heads, groups * t, d);
        return Attention.attend(grouped, kv.key(), kv.value(), to.bias(), to.probe())
                .reshape(rows / groups, heads, groups, t, d)
                .transpose(0, 2, 1, 3, 4)
                .reshape(rows, heads, t, d);
    }
}
