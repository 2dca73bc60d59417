package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.nn.Linear;
import java.util.List;

/**
 * A BERT layer's attention to what the text is grounded in. BLIP's MED has one attention block
 * over one memory (the image). NLVR2 ({@code nlvr_encoder.py}) twins it: block {@code i} attends to
 * image {@code i}, and the two outputs are averaged, or, in layers whose checkpoint has a
 * {@code merge_layer}, mapped back to H by a Linear over their concatenation (no activation: the
 * official code has it commented out). Either way one residual connection and one LayerNorm follow.
 *
 * @param blocks one block per memory (one or two); a twin's norm is the first block's
 * @param merge Linear 2H to H over the concatenated block outputs, or null to average them
 */
public record CrossAttention(List<BertAttention> blocks, Linear merge) {

    public CrossAttention {
        blocks = List.copyOf(blocks);
        if (blocks.isEmpty() || blocks.size() > 2) {
            throw new ModelException("cross-attention has one or two blocks, got " + blocks.size());
        }
        if (merge != null && blocks.size() != 2) {
            throw new ModelException("only twinned cross-attention merges");
        }
    }

    /** BLIP's cross-attention to one memory. */
    public static CrossAttention single(BertAttention attention) {
        return new CrossAttention(List.of(attention), null);
    }

    /** How many memories each text row attends to: 1, or 2 for NLVR2's image pair. */
    public int memories() {
        return blocks.size();
    }

    /**
     * @param x [R, T, H]
     * @param runs per run of rows (one for a batch), what each block attends to
     */
    NDArray forward(NDArray x, List<List<AttendedKeys>> runs) {
        BertAttention first = blocks.get(0);
        NDArray a = first.attention(x, block(runs, 0));
        if (blocks.size() == 1) {
            return first.residual(x, a);
        }
        NDArray b = blocks.get(1).attention(x, block(runs, 1));
        NDArray combined = merge == null ? a.add(b).div(2) : merge.apply(a.concat(b, 2));
        return first.residual(x, combined);
    }

    private static List<AttendedKeys> block(List<List<AttendedKeys>> runs, int block) {
        return runs.stream().map(run -> run.get(block)).toList();
    }
}
