package dev.blip4j.core.generate;

import dev.blip4j.core.ArrayText;

/**
 * A generated sequence as transformers' {@code generate} returns it: prompt included, ended by the
 * end token unless the length limit was hit, never padded.
 *
 * @param ids token ids
 * @param score beam search: the hypothesis score (summed processed log-probabilities divided by the
 *     length to the power of the length penalty); greedy and sampling: the same formula over the
 *     chosen tokens, so that scores of all strategies read alike
 */
public record Sequence(long[] ids, double score) {

    public Sequence {
        ids = ids.clone();
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    public int length() {
        return ids.length;
    }

    @Override
    public String toString() {
        return "Sequence[ids=" + ArrayText.of(ids) + ", score=" + score + "]";
    }
}
