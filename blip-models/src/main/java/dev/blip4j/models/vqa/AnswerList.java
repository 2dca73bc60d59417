package dev.blip4j.models.vqa;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.text.BatchEncoding;
import dev.blip4j.models.text.BlipTokenizer;
import dev.blip4j.models.text.Padding;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The closed set of answers that VQA's rank mode chooses from (3,128 for the paper's VQA v2
 * evaluation), tokenised once as {@code train_vqa.py} does: {@code tokenizer(answer_list,
 * padding='longest')} with the first id of every row replaced by {@code [DEC]}, no truncation.
 * Build it once and rank any number of questions against it.
 *
 * <p>Rules, checked when the list is built:
 * <ul>
 *   <li>an empty list is refused;</li>
 *   <li>an entry whose ids ({@code [DEC]}, tokens, {@code [SEP]}) do not fit the decoder's position
 *       table is refused by name, as the official code would fail on it;</li>
 *   <li>the same text twice is refused, naming both positions: the official code would score it
 *       twice, spend two of the k candidate slots on it and only ever pick the first, which is a
 *       mistake in the list rather than something to rank; texts that differ but tokenise alike
 *       ({@code "Yes"} and {@code "yes"}) are kept, as the official code keeps them (same scores,
 *       the earlier entry wins ties);</li>
 *   <li>an empty text {@code ""} is a valid entry (ids {@code [DEC] [SEP]}: "answer nothing").</li>
 * </ul>
 *
 * <p>Immutable and thread-safe. It remembers the vocabulary it was tokenised with and is refused
 * by a model with another one.
 */
public final class AnswerList {

    private final List<String> answers;
    private final long[][] ids;
    private final long[][] mask;
    private final int[] lengths;
    private final long[] firstTokens;
    private final int vocabSize;
    private final long decId;
    private final long padId;

    private AnswerList(List<String> answers, BatchEncoding encoding, int vocabSize, long decId, long padId) {
        this.answers = List.copyOf(answers);
        this.ids = encoding.ids();
        this.mask = encoding.attentionMask();
        this.lengths = encoding.lengths();
        this.firstTokens = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            firstTokens[i] = ids[i][1];
        }
        this.vocabSize = vocabSize;
        this.decId = decId;
        this.padId = padId;
    }

    /** The answers given, tokenised with the model's tokenizer for its decoder. */
    public static AnswerList of(List<String> answers, BlipModel model) {
        return of(answers, model.tokenizer(), model.network().decoderPositions());
    }

    /**
     * @param maxPositions the answer decoder's position table: the most ids an entry may have
     */
    public static AnswerList of(List<String> answers, BlipTokenizer tokenizer, int maxPositions) {
        if (answers == null) {
            throw new InputException("the answer list must not be null");
        }
        return build(answers, tokenizer, maxPositions, i -> "answers[" + i + "]", "");
    }

    /**
     * Reads an answer list file: a {@code .json} file holds a JSON array of strings (as BLIP's
     * {@code answer_list.json}); any other file holds one answer per line (UTF-8, lines end at
     * {@code \n} or {@code \r\n}), each line stripped of surrounding whitespace, blank lines
     * skipped, so a text file cannot hold the empty answer.
     *
     * @throws InputException if the file cannot be read or parsed, or the list breaks a rule above
     */
    public static AnswerList load(Path file, BlipModel model) {
        return load(file, model.tokenizer(), model.network().decoderPositions());
    }

    public static AnswerList load(Path file, BlipTokenizer tokenizer, int maxPositions) {
        String text = readUtf8(file);
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
            List<String> answers = parseJson(text, file);
            return build(answers, tokenizer, maxPositions, i -> file + ": entry " + i, file + ": ");
        }
        List<String> answers = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        String[] raw = text.split("\r?\n", -1);
        for (int i = 0; i < raw.length; i++) {
            String line = raw[i].strip();
            if (!line.isEmpty()) {
                answers.add(line);
                lines.add(i + 1);
            }
        }
        return build(answers, tokenizer, maxPositions, i -> file + ": line " + lines.get(i), file + ": ");
    }

    private static AnswerList build(List<String> answers, BlipTokenizer tokenizer, int maxPositions,
            IntFunction<String> where, String source) {
        if (answers.isEmpty()) {
            throw new InputException(source + "the answer list is empty: ranking needs at least one answer");
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < answers.size(); i++) {
            String a = answers.get(i);
            if (a == null) {
                throw new InputException(where.apply(i) + " is null; answers must be strings");
            }
            Integer first = seen.putIfAbsent(a, i);
            if (first != null) {
                throw new InputException("the answer list holds \"" + abbreviate(a) + "\" twice: "
                        + where.apply(first) + " and " + where.apply(i) + "; remove the duplicate");
            }
        }
        // One id more than the table so that an entry too long shows up as such, not truncated.
        BatchEncoding encoding = tokenizer.encodeBatch(answers, maxPositions + 1, Padding.LONGEST)
                .withFirstToken(tokenizer.decId());
        int[] lengths = encoding.lengths();
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] > maxPositions) {
                throw new InputException(where.apply(i) + ", the answer \"" + abbreviate(answers.get(i))
                        + "\", has more tokens than the " + maxPositions + " positions of the answer decoder");
            }
        }
        return new AnswerList(answers, encoding, tokenizer.vocabSize(), tokenizer.decId(), tokenizer.padId());
    }

    private static List<String> parseJson(String text, Path file) {
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new InputException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonArray()) {
            throw new InputException(file + ": expected a JSON array of answer strings");
        }
        JsonArray array = root.getAsJsonArray();
        List<String> answers = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonElement e = array.get(i);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw new InputException(file + ": entry " + i + " is " + e + ", not a string");
            }
            answers.add(e.getAsString());
        }
        return answers;
    }

    private static String readUtf8(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InputException("cannot read the answer list " + file + ": " + e, e);
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw new InputException(file + ": the answer list is not UTF-8 text", e);
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    public int size() {
        return answers.size();
    }

    public String answer(int index) {
        return answers.get(index);
    }

    public List<String> answers() {
        return answers;
    }

    /** The tokenised list: padded to the longest entry, {@code [DEC]} first (a copy). */
    public BatchEncoding encoding() {
        return new BatchEncoding(ids, mask);
    }

    /** Row {@code i} of the padded ids (not copied: callers must not modify it). */
    long[] idsRow(int i) {
        return ids[i];
    }

    /** Row {@code i} of the padded attention mask (not copied). */
    long[] maskRow(int i) {
        return mask[i];
    }

    /** The number of real ids of entry {@code i}. */
    int length(int i) {
        return lengths[i];
    }

    /** The first token after {@code [DEC]} of every entry ({@code answer_ids[:, 1]}). */
    long firstToken(int i) {
        return firstTokens[i];
    }

    /** The padded width (the longest entry). */
    int width() {
        return ids[0].length;
    }

    long padId() {
        return padId;
    }

    /** Refuses use with a model whose tokenizer differs from the one this list was built with. */
    void requireVocabulary(BlipTokenizer tokenizer) {
        if (tokenizer.vocabSize() != vocabSize || tokenizer.decId() != decId || tokenizer.padId() != padId) {
            throw new InputException("this answer list was tokenised for a vocabulary of " + vocabSize
                    + " tokens ([DEC]=" + decId + "), the model's has " + tokenizer.vocabSize() + " ([DEC]="
                    + tokenizer.decId() + "): build it with this model");
        }
    }
}
