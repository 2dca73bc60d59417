package dev.blip4j.models.vqa;

import dev.blip4j.core.ArrayText;

/**
 * One generated answer.
 *
 * @param question the question as asked
 * @param text the decoded answer ({@code tokenizer.decode(ids, skip_special_tokens=True)} as the
 *     official code); empty when the decoder ended right after {@code [DEC]}
 * @param tokenIds the sequence as {@code generate} returns it: {@code [DEC]}, the answer, and
 *     {@code [SEP]} unless the length limit cut it
 * @param score the sequence score (see {@link dev.blip4j.core.generate.Sequence#score()})
 */
public record Answer(String question, String text, long[] tokenIds, double score) {

    public Answer {
        tokenIds = tokenIds.clone();
    }

    @Override
    public long[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public String toString() {
        return "Answer[question=" + question + ", text=" + text + ", tokenIds=" + ArrayText.of(tokenIds) + ", score="
                + score + "]";
    }
}
