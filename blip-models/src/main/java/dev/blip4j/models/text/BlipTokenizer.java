package dev.blip4j.models.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

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
    private final int vocabSize;
    private final PrefixCut prefixCut;
    private final BertDecoding decoding;

    private BlipTokenizer(TokenizerSources.Source loaded) {
        TokenizerJson.Prepared prepared = loaded.prepared();
        this.source = loaded.name();
        this.hfJson = prepared.hfJson();
        Map<String, Long> ids = prepared.specialIds();
        this.padId = ids.get("pad");
        this.unkId = ids.get("unk");
        this.clsId = ids.get("cls");
        this.sepId = ids.get("sep");
        this.maskId = ids.get("mask");
        this.decId = ids.get("dec");
        this.encId = ids.getOrDefault("enc", -1L);
        this.vocabSize = prepared.vocabSize();
        this.prefixCut = PrefixCut.of(prepared);
        this.decoding = new BertDecoding(ids.values().stream().mapToLong(Long::longValue).toArray(),
                prepared.baseVocabSize(), vocabSize);

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
        return new BlipTokenizer(TokenizerSources.tokenizerJson(tokenizerJson, true));
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
        return new BlipTokenizer(TokenizerSources.vocab(vocabTxt, true));
    }

    /**
     * Loads a tokenizer from a {@code tokenizer.json}, a {@code vocab.txt}, or a directory that
     * holds one of them (a HF model directory; {@code tokenizer.json} is preferred).
     *
     * @throws ModelException if nothing usable is found
     */
    public static BlipTokenizer from(Path path) {
        return new BlipTokenizer(TokenizerSources.any(path, true));
    }

    /**
     * As {@link #from(Path)} for BLIP-2, whose tokenizer adds {@code [DEC]} but no {@code [ENC]}
     * ({@code Blip2Base.init_tokenizer}).
     */
    public static BlipTokenizer forBlip2(Path path) {
        return new BlipTokenizer(TokenizerSources.any(path, false));
    }

    /**
     * The tokenizer of every released BLIP model: bert-base-uncased's vocabulary (shipped with
     * blip4j) plus {@code [DEC]} = 30522 and {@code [ENC]} = 30523.
     */
    public static BlipTokenizer bertBaseUncased() {
        return new BlipTokenizer(TokenizerSources.bertBaseUncased(true));
    }

    /** BLIP-2's tokenizer: bert-base-uncased plus {@code [DEC]} = 30522 alone. */
    public static BlipTokenizer bertBaseUncasedBlip2() {
        return new BlipTokenizer(TokenizerSources.bertBaseUncased(false));
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
        return whileOpen(() -> new Encoding(withSpecialTokens(contentIds(text, maxLength - 2), maxLength - 2)));
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
        long[][] rows = whileOpen(() -> {
            long[][] out = new long[texts.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = withSpecialTokens(contentIds(texts.get(i), maxLength - 2), maxLength - 2);
            }
            return out;
        });
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
        return whileOpen(() -> List.of(tokenizer.encode(text, false, false).getTokens()));
    }

    private long[] withSpecialTokens(long[] content, int limit) {
        int n = Math.min(content.length, limit);
        long[] ids = new long[n + 2];
        ids[0] = clsId;
        System.arraycopy(content, 0, ids, 1, n);
        ids[n + 1] = sepId;
        return ids;
    }

    /** The WordPiece ids of a text, without special tokens: all of them, or for a long text at least its first {@code limit}. */
    private long[] contentIds(String text, int limit) {
        return prefixCut.leadingIds(text, limit, this::wordPieceIds);
    }

    private long[] wordPieceIds(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    /** The WordPiece ids of the whole text, without the long-text shortcut (for tests). */
    long[] allContentIds(String text) {
        return whileOpen(() -> wordPieceIds(text));
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
     * Decodes ids to text with transformers 4.15 {@code BertTokenizer.decode} semantics: with
     * {@code skipSpecialTokens} every special id is dropped ({@code [UNK]} too, as transformers
     * does), {@code ##} pieces are glued, {@code [DEC]} and {@code [ENC]} stay words of their own,
     * and {@code clean_up_tokenization} runs on the whole string (see {@link BertDecoding}).
     *
     * @throws InputException if ids is null or holds an id outside {@code [0, vocabSize())}
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        decoding.requireIds(ids);
        return whileOpen(() -> decoding.decode(ids, skipSpecialTokens, run -> tokenizer.decode(run, false)));
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

    /** Whether {@code id} is one of BLIP's special tokens ({@code [PAD] [UNK] [CLS] [SEP] [MASK] [DEC] [ENC]}). */
    public boolean isSpecialId(long id) {
        return decoding.isSpecial(id);
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

    /** Runs {@code work} on the native tokenizer under the read lock, refusing once closed. */
    private <T> T whileOpen(Supplier<T> work) {
        Lock read = lock.readLock();
        read.lock();
        try {
            if (closed) {
                throw new IllegalStateException("BlipTokenizer is closed");
            }
            return work.get();
        } finally {
            read.unlock();
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
