package dev.blip4j.models.caption;

import dev.blip4j.core.ArrayText;

/**
 * One generated caption.
 *
 * @param text the decoded caption, prompt stripped as the official {@code generate} does (unless asked not to)
 * @param tokenIds the full sequence as {@code generate} returns it: {@code [DEC]}, prompt, caption, and
 *     {@code [SEP]} unless the length limit cut it
 * @param score the sequence score (see {@link dev.blip4j.core.generate.Sequence#score()})
 */
public record Caption(String text, long[] tokenIds, double score) {

    public Caption {
        tokenIds = tokenIds.clone();
    }

    @Override
    public long[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public String toString() {
        return "Caption[text=" + text + ", tokenIds=" + ArrayText.of(tokenIds) + ", score=" + score + "]";
    }
}
