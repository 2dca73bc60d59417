package dev.blip4j.models.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonObject;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Collectors;

/**
 * BLIP's text tokenizer: bert-base-uncased WordPiece plus the two tokens BLIP adds, {@code [DEC]}
 * (the decoder's bos token, id = base vocabulary size) and {@code [ENC]} (the encoder's
 * multimodal token, id = base vocabulary size + 1), as in BLIP's {@code models/blip.py
 * init_tokenizer()}. Encoding and decoding reproduce what the official code gets from
 * transformers 4.15's {@code BertTokenizer}; the work is done by HuggingFace's native tokenizers
 * library through DJL.
 *
 * <p>Texts are tokenized as given; BLIP lower-cases and strips punctuation with
 * {@code pre_caption} only in its datasets, see {@link BlipText#preCaption} if you need that.
 * Special tokens typed in a text ({@code "[SEP]"}, {@code "[ENC]"}) become those tokens, as in
 * transformers.
 *
 * <p>Thread-safe: one instance may be used from many threads at once. It holds native memory:
 * close it when done; using it after {@link #close()} throws {@link IllegalStateException}.
 */
public final class BlipTokenizer implements AutoCloseable {

    private static final String TOKENIZER_JSON = "tokenizer.json";
    private static final String VOCAB_TXT = "vocab.txt";
    private static final String BERT_BASE_UNCASED_RESOURCE = "bert-base-uncased-vocab.txt";

    /**
     * Texts longer than this many characters per wanted token are first tokenized by a prefix
     * (see {@link #contentIds}).
     */
    private static final int CHARS_PER_TOKEN_BUDGET = 6;

    /**
     * Whitespace that BertNormalizer turns into a space (rather than dropping it as a control
     * character, as it does U+000B, U+000C, U+0085) and BertPreTokenizer splits at.
     */
    private static final String WHITESPACE = " \t\n\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
            + "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

    private static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private final HuggingFaceTokenizer tokenizer;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed; // guarded by lock

    private final String source;
    private final String hfJson;
    private final long padId;
    private final long unkId;
    private final long clsId;
    private final long sepId;
    private final long maskId;
    private final long decId;
    private final long encId;
    private final long[] specialIds; // sorted
    private final int baseVocabSize;
    private final int vocabSize;
    /** Characters before which a text may be cut (see {@link #contentIds}); null: never cut. */
    private final BitSet cutBefore;

    private BlipTokenizer(TokenizerJson.Prepared prepared, String source) {
        this.source = source;
        this.hfJson = prepared.hfJson();
        Map<String, Long> ids = prepared.specialIds();
        this.padId = ids.get("pad");
        this.unkId = ids.get("unk");
        this.clsId = ids.get("cls");
        this.sepId = ids.get("sep");
        this.maskId = ids.get("mask");
        this.decId = ids.get("dec");
        this.encId = ids.getOrDefault("enc", -1L);
        this.specialIds = ids.values().stream().mapToLong(Long::longValue).distinct().sorted().toArray();
        this.baseVocabSize = prepared.baseVocabSize();
        this.vocabSize = prepared.vocabSize();
        this.cutBefore = cutPoints(prepared);

        // Truncation and padding are done here in Java: they depend on the call, and DJL sets
        // them on the shared native tokenizer; DJL also leaks the overflow encodings that
        // native truncation creates.
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false");
        HuggingFaceTokenizer hf;
        try (InputStream in = new ByteArrayInputStream(prepared.json().getBytes(StandardCharsets.UTF_8))) {
            hf = HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException | RuntimeException e) {
            throw new ModelException(source + ": the HuggingFace tokenizers library cannot load it: "
                    + e.getMessage(), e);
        }
        this.tokenizer = hf;
        try {
            checkLoaded(prepared);
        } catch (RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    /** Checks that the native tokenizer agrees with the ids read from the JSON. */
    private void checkLoaded(TokenizerJson.Prepared prepared) {
        for (Map.Entry<String, String> e : prepared.specialTokens().entrySet()) {
            long expected = prepared.specialIds().get(e.getKey());
            long[] got = tokenizer.encode(e.getValue(), false, false).getIds();
            if (got.length != 1 || got[0] != expected) {
                throw new ModelException(source + ": the tokenizer encodes " + e.getValue() + " as "
                        + Arrays.toString(got) + ", expected [" + expected + "]");
            }
        }
        long[] empty = tokenizer.encode("", true, false).getIds();
        if (!Arrays.equals(empty, new long[] {clsId, sepId})) {
            throw new ModelException(source + ": the tokenizer's post-processor turns an empty text into "
                    + Arrays.toString(empty) + "; BLIP needs BERT's [CLS] text [SEP] = ["
                    + clsId + ", " + sepId + "]");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Factories

    /**
     * Loads a HuggingFace {@code tokenizer.json} of a BERT WordPiece tokenizer (as on the HF hub
     * for BLIP models). {@code [DEC]} and {@code [ENC]} are added when the file lacks them (hub
     * files do); when present they must have ids base-vocabulary-size and +1.
     *
     * @throws ModelException if the file is missing, malformed, not WordPiece, or has other ids
     */
    public static BlipTokenizer fromTokenizerJson(Path tokenizerJson) {
        return fromTokenizerJson(tokenizerJson, true);
    }

    private static BlipTokenizer fromTokenizerJson(Path tokenizerJson, boolean enc) {
        String source = tokenizerJson.toString();
        String text = readText(tokenizerJson);
        JsonObject root = TokenizerJson.parse(text, source);
        return new BlipTokenizer(TokenizerJson.prepare(root, source, enc), source);
    }

    /**
     * Builds the tokenizer from a WordPiece {@code vocab.txt} (one token per line, id = line
     * number), as transformers' {@code BertTokenizer(vocab, do_lower_case=True)} does, then adds
     * {@code [DEC]} and {@code [ENC]}.
     *
     * @throws ModelException if the file is missing, not UTF-8, has duplicate tokens or lacks a
     *     BERT special token
     */
    public static BlipTokenizer fromVocab(Path vocabTxt) {
        return fromVocab(vocabTxt, true);
    }

    private static BlipTokenizer fromVocab(Path vocabTxt, boolean enc) {
        String source = vocabTxt.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(vocabTxt);
        } catch (IOException e) {
            throw new ModelException("cannot read vocabulary " + source + ": " + e, e);
        }
        return fromVocabBytes(bytes, source, enc);
    }

    /**
     * Loads a tokenizer from a {@code tokenizer.json}, a {@code vocab.txt}, or a directory that
     * holds one of them (a HF model directory; {@code tokenizer.json} is preferred).
     *
     * @throws ModelException if nothing usable is found
     */
    public static BlipTokenizer from(Path path) {
        return from(path, true);
    }

    /**
     * As {@link #from(Path)} for BLIP-2, whose tokenizer adds {@code [DEC]} but no {@code [ENC]}
     * ({@code Blip2Base.init_tokenizer}).
     */
    public static BlipTokenizer forBlip2(Path path) {
        return from(path, false);
    }

    private static BlipTokenizer from(Path path, boolean enc) {
        if (Files.isDirectory(path)) {
            Path json = path.resolve(TOKENIZER_JSON);
            if (Files.isRegularFile(json)) {
                return fromTokenizerJson(json, enc);
            }
            Path vocab = path.resolve(VOCAB_TXT);
            if (Files.isRegularFile(vocab)) {
                return fromVocab(vocab, enc);
            }
            throw new ModelException("no " + TOKENIZER_JSON + " or " + VOCAB_TXT + " in directory " + path);
        }
        if (!Files.isRegularFile(path)) {
            throw new ModelException("tokenizer file not found: " + path);
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) {
            return fromTokenizerJson(path, enc);
        }
        if (name.endsWith(".txt")) {
            return fromVocab(path, enc);
        }
        String text = readText(path);
        return text.stripLeading().startsWith("{") ? fromTokenizerJson(path, enc) : fromVocab(path, enc);
    }

    /**
     * The tokenizer of every released BLIP model: bert-base-uncased's vocabulary (shipped with
     * blip4j) plus {@code [DEC]} = 30522 and {@code [ENC]} = 30523.
     */
    public static BlipTokenizer bertBaseUncased() {
        return bertBaseUncased(true);
    }

    /** BLIP-2's tokenizer: bert-base-uncased plus {@code [DEC]} = 30522 alone. */
    public static BlipTokenizer bertBaseUncasedBlip2() {
        return bertBaseUncased(false);
    }

    private static BlipTokenizer bertBaseUncased(boolean enc) {
        String source = "classpath:" + BERT_BASE_UNCASED_RESOURCE;
        try (InputStream in = BlipTokenizer.class.getResourceAsStream(BERT_BASE_UNCASED_RESOURCE)) {
            if (in == null) {
                throw new ModelException("resource " + BERT_BASE_UNCASED_RESOURCE
                        + " is missing from the classpath (blip-models jar)");
            }
            return fromVocabBytes(in.readAllBytes(), source, enc);
        } catch (IOException e) {
            throw new ModelException("cannot read " + source + ": " + e, e);
        }
    }

    private static BlipTokenizer fromVocabBytes(byte[] bytes, String source, boolean enc) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ModelException(source + ": vocabulary is not UTF-8 text", e);
        }
        // Lines end at \n, \r or \r\n, as Python's universal newlines read them for BERT's
        // load_vocab(); a final line break does not start another token.
        List<String> tokens = new BufferedReader(new StringReader(text)).lines().collect(Collectors.toList());
        JsonObject root = TokenizerJson.fromVocab(tokens, source);
        return new BlipTokenizer(TokenizerJson.prepare(root, source, enc), source);
    }

    private static String readText(Path path) {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelException("cannot read tokenizer file " + path + ": " + e, e);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Special tokens

    /** Id of {@code [PAD]}. */
    public long padId() {
        return padId;
    }

    /** Id of {@code [UNK]}. */
    public long unkId() {
        return unkId;
    }

    /** Id of {@code [CLS]}, the first token of every encoding. */
    public long clsId() {
        return clsId;
    }

    /** Id of {@code [SEP]}, the last token of every encoding and the decoder's end of sequence. */
    public long sepId() {
        return sepId;
    }

    /** Id of {@code [MASK]}. */
    public long maskId() {
        return maskId;
    }

    /** Id of {@code [DEC]}, BLIP's decoder bos token ({@code tokenizer.bos_token_id}). */
    public long decId() {
        return decId;
    }

    /** Whether the tokenizer has {@code [ENC]} (BLIP's do, BLIP-2's do not). */
    public boolean hasEnc() {
        return encId >= 0;
    }

    /** Id of {@code [ENC]}, BLIP's multimodal encoder token ({@code tokenizer.enc_token_id}). */
    public long encId() {
        if (encId < 0) {
            throw new ModelException(source + ": this tokenizer has no [ENC] (BLIP-2's adds only [DEC])");
        }
        return encId;
    }

    /**
     * The number of token ids, {@code [DEC]} and {@code [ENC]} included: the text models'
     * embedding rows ({@code len(tokenizer)}, 30524 for BLIP, 30523 for BLIP-2).
     */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The {@code tokenizer.json} transformers would save for this tokenizer: the source file (or,
     * from a {@code vocab.txt}, {@code BertTokenizerFast}'s pipeline) with {@code [DEC]} and
     * {@code [ENC]} as special added tokens. See {@link TokenizerFiles}.
     */
    public String tokenizerJson() {
        return hfJson;
    }

    // ------------------------------------------------------------------------------------------
    // Encoding

    /**
     * Encodes one text as {@code [CLS] tokens [SEP]}, truncated to at most {@code maxLength} ids
     * in all (transformers {@code truncation=True, max_length=maxLength}: the WordPiece tokens are
     * cut, {@code [SEP]} stays last).
     *
     * @param maxLength the largest number of ids, special tokens included; at least 2
     * @throws InputException if text is null or maxLength is below 2
     */
    public Encoding encode(String text, int maxLength) {
        requireText(text, "text");
        requireMaxLength(maxLength);
        Lock read = lock.readLock();
        read.lock();
        try {
            ensureOpen();
            return new Encoding(withSpecialTokens(contentIds(text, maxLength - 2), maxLength - 2));
        } finally {
            read.unlock();
        }
    }

    /**
     * Encodes a batch of texts as {@link #encode} does, then pads on the right with {@code [PAD]}
     * (attention mask 0): transformers {@code tokenizer(texts, padding=..., truncation=True,
     * max_length=maxLength)}.
     *
     * @throws InputException if a text is null, padding is null or maxLength is below 2
     */
    public BatchEncoding encodeBatch(List<String> texts, int maxLength, Padding padding) {
        if (texts == null) {
            throw new InputException("texts must not be null");
        }
        if (padding == null) {
            throw new InputException("padding must not be null (use Padding.NONE for none)");
        }
        for (int i = 0; i < texts.size(); i++) {
            requireText(texts.get(i), "texts[" + i + "]");
        }
        requireMaxLength(maxLength);
        long[][] rows = new long[texts.size()][];
        Lock read = lock.readLock();
        read.lock();
        try {
            ensureOpen();
            for (int i = 0; i < rows.length; i++) {
                rows[i] = withSpecialTokens(contentIds(texts.get(i), maxLength - 2), maxLength - 2);
            }
        } finally {
            read.unlock();
        }
        int width = switch (padding) {
            case NONE -> -1;
            case MAX_LENGTH -> maxLength;
            case LONGEST -> Arrays.stream(rows).mapToInt(r -> r.length).max().orElse(0);
        };
        long[][] ids = new long[rows.length][];
        long[][] mask = new long[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            int w = width < 0 ? rows[i].length : width;
            ids[i] = Arrays.copyOf(rows[i], w);
            Arrays.fill(ids[i], rows[i].length, w, padId);
            mask[i] = new long[w];
            Arrays.fill(mask[i], 0, rows[i].length, 1L);
        }
        return new BatchEncoding(ids, mask);
    }

    /**
     * The WordPiece tokens of a text, without special tokens and without truncation
     * (transformers {@code tokenizer.tokenize(text)}); for inspection.
     */
    public List<String> tokenize(String text) {
        requireText(text, "text");
        Lock read = lock.readLock();
        read.lock();
        try {
            ensureOpen();
            return List.of(tokenizer.encode(text, false, false).getTokens());
        } finally {
            read.unlock();
        }
    }

    private long[] withSpecialTokens(long[] content, int limit) {
        int n = Math.min(content.length, limit);
        long[] ids = new long[n + 2];
        ids[0] = clsId;
        System.arraycopy(content, 0, ids, 1, n);
        ids[n + 1] = sepId;
        return ids;
    }

    /**
     * The WordPiece ids of a text, without special tokens: all of them, or for a long text at
     * least its first {@code limit}.
     *
     * <p>A long text is first tokenized up to a cut point found after {@code 64 + 6 * limit}
     * characters, then up to one found four times further while the prefix gives fewer than
     * {@code limit} ids, then whole. This keeps a 100,000-character input fast and gives the same
     * leading ids as tokenizing everything. A cut point is a character {@code c} before which
     * BERT's pipeline always ends a word, so that the tokens of {@code prefix + c + rest} are the
     * tokens of {@code prefix} followed by those of {@code c + rest}: whitespace (not the kinds
     * BertNormalizer drops as control characters), ASCII punctuation, and CJK ideographs (BMP)
     * when the tokenizer isolates them; none of the
     * characters of added tokens ({@code [} and {@code ]}, so that {@code "[SEP]"} typed in the
     * text is never split). That holds because BertNormalizer works per character (its NFD
     * reordering stops at such a character, of combining class 0), BertPreTokenizer splits
     * before whitespace and punctuation, the normalizer pads CJK ideographs with spaces,
     * WordPiece works per word, and added tokens, matched in the raw text, cannot span the cut
     * as none contains the cut character. Tokenizers that are not BERT's are never cut.
     */
    private long[] contentIds(String text, int limit) {
        if (cutBefore != null) {
            long budget = 64L + (long) CHARS_PER_TOKEN_BUDGET * limit;
            while (budget < text.length()) {
                int cut = cutPointFrom(text, (int) budget);
                if (cut < 0) {
                    break;
                }
                long[] ids = tokenizer.encode(text.substring(0, cut), false, false).getIds();
                if (ids.length >= limit) {
                    return ids;
                }
                budget = (long) cut * 4;
            }
        }
        return tokenizer.encode(text, false, false).getIds();
    }

    /** The WordPiece ids of the whole text, without the long-text shortcut (for tests). */
    long[] allContentIds(String text) {
        Lock read = lock.readLock();
        read.lock();
        try {
            ensureOpen();
            return tokenizer.encode(text, false, false).getIds();
        } finally {
            read.unlock();
        }
    }

    private int cutPointFrom(String text, int from) {
        for (int i = Math.max(from, 1); i < text.length(); i++) {
            if (cutBefore.get(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static BitSet cutPoints(TokenizerJson.Prepared prepared) {
        if (!prepared.bertPipeline()) {
            return null;
        }
        BitSet cut = new BitSet(0x10000);
        for (char c : WHITESPACE.toCharArray()) {
            cut.set(c);
        }
        for (char c : ASCII_PUNCTUATION.toCharArray()) {
            cut.set(c);
        }
        if (prepared.splitsCjk()) {
            cut.set(0x3400, 0x4DBF + 1);
            cut.set(0x4E00, 0x9FFF + 1);
            cut.set(0xF900, 0xFAFF + 1);
        }
        // An added token spanning the cut would be missed, so its characters are no cut points;
        // one holding whitespace might be matched (normalized) across any whitespace.
        String added = prepared.addedTokenChars();
        for (int i = 0; i < added.length(); i++) {
            char c = added.charAt(i);
            cut.clear(c);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || BlipText.isPythonSpace(c)) {
                for (char w : WHITESPACE.toCharArray()) {
                    cut.clear(w);
                }
            }
        }
        return cut;
    }

    // ------------------------------------------------------------------------------------------
    // Decoding

    /**
     * Decodes ids to text skipping special tokens, as BLIP does for captions and VQA answers
     * ({@code tokenizer.decode(ids, skip_special_tokens=True)} in transformers 4.15).
     *
     * @throws InputException if ids is null or holds an id outside {@code [0, vocabSize())}
     */
    public String decode(long[] ids) {
        return decode(ids, true);
    }

    /**
     * Decodes ids to text with transformers 4.15 {@code BertTokenizer.decode} semantics.
     *
     * <p>With {@code skipSpecialTokens}, every special id is dropped: {@code [PAD] [UNK] [CLS]
     * [SEP] [MASK] [DEC] [ENC]} (transformers' {@code all_special_ids}; yes, {@code [UNK]} too).
     * The remaining tokens are joined with spaces, {@code ##} pieces glued to the previous token,
     * tokens added after the WordPiece vocabulary ({@code [DEC]}, {@code [ENC]}) kept apart as
     * their own words, and transformers' {@code clean_up_tokenization} applied to the whole string:
     * {@code " ."->"."}, {@code " ?"->"?"}, {@code " !"->"!"}, {@code " ,"->","}, {@code
     * " ' "->"'"}, {@code " n't"->"n't"}, {@code " 'm"->"'m"}, {@code " 's"->"'s"}, {@code
     * " 've"->"'ve"}, {@code " 're"->"'re"}.
     *
     * <p>Why not DJL's {@code decode(ids, true)} alone: the native WordPiece decoder applies the
     * clean-up to each token separately (with its leading space), so patterns spanning two tokens
     * never match ({@code "zebras ' couch"} stays as is, transformers gives {@code
     * "zebras'couch"}); it also has an extra {@code " do not"->" don't"} rule, skips by the
     * file's "special" flags rather than by BLIP's special tokens, glues a {@code ##} piece that
     * follows an added token, and silently drops ids outside the vocabulary. So the tokenizer is
     * loaded with the decoder's clean-up off, special ids are filtered and added tokens split off
     * here, DJL joins and glues each run of vocabulary tokens, and the clean-up is applied here.
     *
     * @throws InputException if ids is null or holds an id outside {@code [0, vocabSize())}
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        if (ids == null) {
            throw new InputException("ids must not be null");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new InputException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        Lock read = lock.readLock();
        read.lock();
        try {
            ensureOpen();
            List<String> parts = new ArrayList<>();
            long[] run = new long[ids.length];
            int runLength = 0;
            for (long id : ids) {
                if (skipSpecialTokens && isSpecialId(id)) {
                    continue;
                }
                if (id >= baseVocabSize) {
                    runLength = flushRun(run, runLength, parts);
                    parts.add(tokenizer.decode(new long[] {id}, false));
                } else {
                    run[runLength++] = id;
                }
            }
            flushRun(run, runLength, parts);
            return cleanUpTokenization(String.join(" ", parts));
        } finally {
            read.unlock();
        }
    }

    /**
     * Each id as the vocabulary spells it, special tokens and {@code ##} continuations included
     * ({@code convert_ids_to_tokens}): for labelling per-token outputs such as Grad-CAM maps.
     *
     * @throws InputException if ids is null or holds an id outside {@code [0, vocabSize())}
     */
    public List<String> tokens(long[] ids) {
        if (ids == null) {
            throw new InputException("ids must not be null");
        }
        List<String> out = new ArrayList<>(ids.length);
        for (long id : ids) {
            // one id alone: DJL's WordPiece decoder keeps a leading "##" and special tokens as written
            out.add(decode(new long[] {id}, false));
        }
        return out;
    }

    /** Decodes each row with {@link #decode(long[])}. */
    public List<String> decodeBatch(long[][] ids) {
        if (ids == null) {
            throw new InputException("ids must not be null");
        }
        List<String> texts = new ArrayList<>(ids.length);
        for (long[] row : ids) {
            texts.add(decode(row));
        }
        return texts;
    }

    /** BertTokenizer.convert_tokens_to_string of a run of vocabulary ids: join, glue ##, strip. */
    private int flushRun(long[] run, int runLength, List<String> parts) {
        if (runLength > 0) {
            parts.add(BlipText.pythonStrip(tokenizer.decode(Arrays.copyOf(run, runLength), false)));
        }
        return 0;
    }

    /** Whether {@code id} is one of BLIP's special tokens ({@code [PAD] [UNK] [CLS] [SEP] [MASK] [DEC] [ENC]}). */
    public boolean isSpecialId(long id) {
        return Arrays.binarySearch(specialIds, id) >= 0;
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

    // ------------------------------------------------------------------------------------------

    /** Frees the native tokenizer. Idempotent; waits for calls in progress on other threads. */
    @Override
    public void close() {
        Lock write = lock.writeLock();
        write.lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            write.unlock();
        }
    }

    @Override
    public String toString() {
        return "BlipTokenizer[" + source + ", vocabSize=" + vocabSize + ", [DEC]=" + decId + ", [ENC]=" + encId + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("BlipTokenizer is closed");
        }
    }

    private static void requireText(String text, String what) {
        if (text == null) {
            throw new InputException(what + " must not be null");
        }
    }

    private static void requireMaxLength(int maxLength) {
        if (maxLength < 2) {
            throw new InputException("maxLength must be at least 2 to hold [CLS] and [SEP], got " + maxLength);
        }
    }
}
