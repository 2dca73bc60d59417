package dev.blip4j.models.text;

import dev.blip4j.core.InputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Decoding with transformers 4.15 {@code BertTokenizer.decode} semantics, which BLIP's captions
 * and answers went through.
 *
 * <p>With {@code skipSpecialTokens}, every special id is dropped: {@code [PAD] [UNK] [CLS] [SEP]
 * [MASK] [DEC] [ENC]} (transformers' {@code all_special_ids}; yes, {@code [UNK]} too). The
 * remaining tokens are joined with spaces, {@code ##} pieces glued to the previous token, tokens
 * added after the WordPiece vocabulary ({@code [DEC]}, {@code [ENC]}) kept apart as their own
 * words, and transformers' {@code clean_up_tokenization} applied to the whole string.
 *
 * <p>Why not the native decoder alone: it applies the clean-up to each token separately (with its
 * leading space), so patterns spanning two tokens never match ({@code "zebras ' couch"} stays as
 * is, transformers gives {@code "zebras'couch"}); it also has an extra {@code " do not"->" don't"}
 * rule, skips by the file's "special" flags rather than by BLIP's special tokens, glues a
 * {@code ##} piece that follows an added token, and silently drops ids outside the vocabulary. So
 * the tokenizer is loaded with the decoder's clean-up off, special ids are filtered and added
 * tokens split off here, the native decoder joins and glues each run of vocabulary tokens, and the
 * clean-up is applied here.
 */
final class BertDecoding {

    private final long[] specialIds; // sorted
    private final int baseVocabSize;
    private final int vocabSize;

    /**
     * @param specialIds every special token's id
     * @param baseVocabSize ids below are WordPiece vocabulary, ids from it on added tokens
     */
    BertDecoding(long[] specialIds, int baseVocabSize, int vocabSize) {
        this.specialIds = Arrays.stream(specialIds).distinct().sorted().toArray();
        this.baseVocabSize = baseVocabSize;
        this.vocabSize = vocabSize;
    }

    /** @throws InputException if ids is null or holds an id outside {@code [0, vocabSize)} */
    void requireIds(long[] ids) {
        if (ids == null) {
            throw new InputException("ids must not be null");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new InputException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    boolean isSpecial(long id) {
        return Arrays.binarySearch(specialIds, id) >= 0;
    }

    /**
     * @param wordPieces the native decoder without clean-up: a run of vocabulary ids (or one added
     *     token's id) as text, {@code ##} pieces glued
     */
    String decode(long[] ids, boolean skipSpecialTokens, Function<long[], String> wordPieces) {
        List<String> parts = new ArrayList<>();
        long[] run = new long[ids.length];
        int runLength = 0;
        for (long id : ids) {
            if (skipSpecialTokens && isSpecial(id)) {
                continue;
            }
            if (id >= baseVocabSize) {
                runLength = flush(run, runLength, parts, wordPieces);
                parts.add(wordPieces.apply(new long[] {id}));
            } else {
                run[runLength++] = id;
            }
        }
        flush(run, runLength, parts, wordPieces);
        return cleanUpTokenization(String.join(" ", parts));
    }

    /** BertTokenizer.convert_tokens_to_string of a run of vocabulary ids: join, glue ##, strip. */
    private static int flush(long[] run, int runLength, List<String> parts, Function<long[], String> wordPieces) {
        if (runLength > 0) {
            parts.add(BlipText.pythonStrip(wordPieces.apply(Arrays.copyOf(run, runLength))));
        }
        return 0;
    }

    /** transformers 4.15 {@code PreTrainedTokenizerBase.clean_up_tokenization}, in its order. */
    static String cleanUpTokenization(String text) {
        return text.replace(" .", ".")
                .replace(" ?", "?")
                .replace(" !", "!")
                .replace(" ,", ",")
                .replace(" ' ", "'")
                .replace(" n't", "n't")
                .replace(" 'm", "'m")
                .replace(" 's", "'s")
                .replace(" 've", "'ve")
                .replace(" 're", "'re");
    }
}
