package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.nn.Scoped;

/**
 * The decoder's training loss, which BLIP also uses to score answers (VQA rank) and captions:
 * next-token cross-entropy with label smoothing, hard-coded to 0.1 in the official {@code med.py}.
 * A smoothed token loss is {@code (1 - e) * -log p(y) + e * mean_v(-log p(v))}.
 */
public final class LmLoss {

    /** Label value of positions that do not count (prompt, padding), as PyTorch's ignore_index. */
    public static final long IGNORE = -100;

    /** The official smoothing. */
    public static final float SMOOTHING = 0.1f;

    private LmLoss() {}

    /**
     * Per-token losses of predicting token t+1 from position t.
     *
     * @param logits [B, T, V] decoder logits of whole sequences
     * @param labels [B, T] int64 token ids, {@link #IGNORE} where a position does not count
     * @return [B, T-1] losses, 0 at ignored positions
     */
    public static NDArray tokenLosses(NDArray logits, NDArray labels, float smoothing) {
        return Scoped.compute(() -> {
            long t = logits.getShape().get(1);
            NDArray logp = logits.get(new NDIndex(":, :{}, :", t - 1)).logSoftmax(2);
            NDArray targets = labels.get(new NDIndex(":, 1:"));
            NDArray counted = targets.neq(IGNORE);
            NDArray index = targets.mul(counted.toType(DataType.INT64, false)).expandDims(2);
            NDArray nll = logp.gather(index, 2).squeeze(2).neg();
            NDArray smooth = logp.mean(new int[] {2}).neg();
            NDArray loss = nll.mul(1 - smoothing).add(smooth.mul(smoothing));
            return loss.mul(counted.toType(loss.getDataType(), false));
        });
    }

    /** Summed loss per sequence, [B] (the VQA rank score is its negative). */
    public static NDArray perSequence(NDArray logits, NDArray labels, float smoothing) {
        return Scoped.compute(() -> tokenLosses(logits, labels, smoothing).sum(new int[] {1}));
    }

    /** Mean loss over every counted token of the batch, as {@code CrossEntropyLoss(reduction='mean')}. */
    public static float mean(NDArray logits, NDArray labels, float smoothing) {
        try (NDArray losses = tokenLosses(logits, labels, smoothing);
                NDArray counted = labels.get(new NDIndex(":, 1:")).neq(IGNORE)) {
            return losses.sum().getFloat() / counted.sum().toType(DataType.FLOAT32, false).getFloat();
        }
    }
}
