package dev.blip4j.models.text;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.blip4j.core.ModelException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds and checks the HuggingFace {@code tokenizer.json} that {@link BlipTokenizer} hands to
 * DJL's native tokenizer.
 *
 * <p>Two jobs: generate, from a WordPiece {@code vocab.txt}, the same document that transformers'
 * {@code BertTokenizerFast} converter writes for an uncased BERT; and adapt any such document to
 * BLIP: add {@code [DEC]} and {@code [ENC]} the way BLIP's {@code init_tokenizer()} does (right
 * after the WordPiece vocabulary, in that order), check their ids when the file already has them,
 * switch off padding, truncation and the decoder's per-token clean-up (done in Java instead, see
 * {@link BlipTokenizer#decode(long[], boolean)}).
 */
final class TokenizerJson {

    static final String PAD = "[PAD]";
    static final String UNK = "[UNK]";
    static final String CLS = "[CLS]";
    static final String SEP = "[SEP]";
    static final String MASK = "[MASK]";
    static final String DEC = "[DEC]";
    static final String ENC = "[ENC]";

    private static final String SUBWORD_PREFIX = "##";

    /**
     * A tokenizer.json ready for DJL, with what BlipTokenizer needs to know about it.
     *
     * @param json the document to load
     * @param hfJson the document as transformers would save it: the input with [DEC] and [ENC] added
     * @param specialIds id of each special token, keyed by the role names pad, unk, cls, sep,
     *     mask, dec, enc
     * @param specialTokens text of each special token, same keys
     * @param baseVocabSize size of the WordPiece vocabulary without [DEC]/[ENC]
     * @param vocabSize one more than the largest id (the model's embedding rows)
     * @param bertPipeline whether normalizer, pre-tokenizer and model are BERT's (BertNormalizer,
     *     BertPreTokenizer, WordPiece), which never join characters across whitespace or
     *     punctuation, and no added token is {@code single_word} (whose matching looks at the
     *     neighbouring characters)
     * @param splitsCjk whether the BertNormalizer isolates CJK ideographs
     *     ({@code handle_chinese_chars})
     * @param addedTokenChars every character of every added token's text
     */
    record Prepared(
            String json,
            String hfJson,
            Map<String, Long> specialIds,
            Map<String, String> specialTokens,
            int baseVocabSize,
            int vocabSize,
            boolean bertPipeline,
            boolean splitsCjk,
            String addedTokenChars) {}

    private TokenizerJson() {}

    /** Parses a tokenizer.json document; {@code source} names it in error messages. */
    static JsonObject parse(String text, String source) {
        try {
            JsonElement root = JsonParser.parseString(text);
            if (!root.isJsonObject()) {
                throw new ModelException(source + ": not a tokenizer.json (top level is not a JSON object)");
            }
            return root.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ModelException(source + ": not a valid tokenizer.json: " + e.getMessage(), e);
        }
    }

    /**
     * The tokenizer.json transformers' {@code BertTokenizerFast} would write for this vocabulary
     * with {@code do_lower_case=True}, {@code tokenize_chinese_chars=True},
     * {@code strip_accents=None}: BertNormalizer, BertPreTokenizer, WordPiece model ({@code [UNK]},
     * prefix {@code ##}, 100 characters per word at most), {@code [CLS] $A [SEP]} template,
     * WordPiece decoder, and the five BERT special tokens as added tokens. No BLIP tokens: {@link
     * #prepare} adds those.
     *
     * @param tokens the vocabulary, one token per id in id order (the lines of vocab.txt)
     */
    static JsonObject fromVocab(List<String> tokens, String source) {
        if (tokens.isEmpty()) {
            throw new ModelException(source + ": the vocabulary is empty");
        }
        JsonObject vocab = new JsonObject();
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id);
            if (vocab.has(token)) {
                throw new ModelException(source + ": token '" + token + "' appears twice (ids "
                        + vocab.get(token).getAsInt() + " and " + id + ")");
            }
            vocab.addProperty(token, id);
        }
        List<String> specials = new ArrayList<>(List.of(PAD, UNK, CLS, SEP, MASK));
        for (String special : specials) {
            if (!vocab.has(special)) {
                throw new ModelException(source + ": the vocabulary has no " + special
                        + " token; a BERT WordPiece vocab.txt needs [PAD] [UNK] [CLS] [SEP] [MASK]");
            }
        }
        specials.sort(Comparator.comparingInt(t -> vocab.get(t).getAsInt()));
        JsonArray added = new JsonArray();
        for (String special : specials) {
            added.add(addedToken(vocab.get(special).getAsInt(), special));
        }

        JsonObject normalizer = new JsonObject();
        normalizer.addProperty("type", "BertNormalizer");
        normalizer.addProperty("clean_text", true);
        normalizer.addProperty("handle_chinese_chars", true);
        normalizer.add("strip_accents", JsonNull.INSTANCE);
        normalizer.addProperty("lowercase", true);

        JsonObject preTokenizer = new JsonObject();
        preTokenizer.addProperty("type", "BertPreTokenizer");

        JsonObject postProcessor = new JsonObject();
        postProcessor.addProperty("type", "TemplateProcessing");
        JsonArray single = new JsonArray();
        single.add(templatePiece("SpecialToken", CLS, 0));
        single.add(templatePiece("Sequence", "A", 0));
        single.add(templatePiece("SpecialToken", SEP, 0));
        JsonArray pair = new JsonArray();
        pair.add(templatePiece("SpecialToken", CLS, 0));
        pair.add(templatePiece("Sequence", "A", 0));
        pair.add(templatePiece("SpecialToken", SEP, 0));
        pair.add(templatePiece("Sequence", "B", 1));
        pair.add(templatePiece("SpecialToken", SEP, 1));
        postProcessor.add("single", single);
        postProcessor.add("pair", pair);
        JsonObject specialTokens = new JsonObject();
        for (String special : List.of(CLS, SEP)) {
            JsonObject entry = new JsonObject();
            entry.addProperty("id", special);
            JsonArray ids = new JsonArray();
            ids.add(vocab.get(special).getAsInt());
            entry.add("ids", ids);
            JsonArray toks = new JsonArray();
            toks.add(special);
            entry.add("tokens", toks);
            specialTokens.add(special, entry);
        }
        postProcessor.add("special_tokens", specialTokens);

        JsonObject decoder = new JsonObject();
        decoder.addProperty("type", "WordPiece");
        decoder.addProperty("prefix", SUBWORD_PREFIX);
        decoder.addProperty("cleanup", true);

        JsonObject model = new JsonObject();
        model.addProperty("type", "WordPiece");
        model.addProperty("unk_token", UNK);
        model.addProperty("continuing_subword_prefix", SUBWORD_PREFIX);
        model.addProperty("max_input_chars_per_word", 100);
        model.add("vocab", vocab);

        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        root.add("added_tokens", added);
        root.add("normalizer", normalizer);
        root.add("pre_tokenizer", preTokenizer);
        root.add("post_processor", postProcessor);
        root.add("decoder", decoder);
        root.add("model", model);
        return root;
    }

    /**
     * Adapts a BERT WordPiece tokenizer.json to BLIP (the document is modified in place) and
     * collects the special-token ids. See the class comment.
     */
    static Prepared prepare(JsonObject root, String source) {
        return prepare(root, source, true);
    }

    /**
     * @param enc whether to add {@code [ENC]} after {@code [DEC]}: BLIP's {@code init_tokenizer()}
     *     does, BLIP-2's ({@code Blip2Base.init_tokenizer}) adds only {@code [DEC]}
     */
    static Prepared prepare(JsonObject root, String source, boolean enc) {
        List<String> blipTokens = enc ? List.of(DEC, ENC) : List.of(DEC);
        JsonObject model = object(root, "model", source);
        if (model.has("type") && !"WordPiece".equals(string(model, "type", source))) {
            throw new ModelException(source + ": model type is '" + string(model, "type", source)
                    + "', BLIP needs BERT's WordPiece tokenizer");
        }
        JsonObject vocabJson = object(model, "vocab", source);
        Map<String, Long> vocab = new HashMap<>();
        Map<Long, String> byId = new HashMap<>();
        for (Map.Entry<String, JsonElement> e : vocabJson.entrySet()) {
            long id = id(e.getValue(), source + " model.vocab['" + e.getKey() + "']");
            String previous = byId.put(id, e.getKey());
            if (previous != null) {
                throw new ModelException(source + ": model.vocab gives id " + id + " to both '"
                        + previous + "' and '" + e.getKey() + "'");
            }
            vocab.put(e.getKey(), id);
        }
        for (long id = 0; id < vocab.size(); id++) {
            if (!byId.containsKey(id)) {
                throw new ModelException(source + ": model.vocab ids are not 0.." + (vocab.size() - 1)
                        + " (id " + id + " is missing)");
            }
        }

        JsonArray added = root.has("added_tokens") && !root.get("added_tokens").isJsonNull()
                ? array(root, "added_tokens", source)
                : new JsonArray();
        Map<String, Long> addedIds = new LinkedHashMap<>();
        long maxId = vocab.size() - 1L;
        boolean singleWord = false;
        for (int i = 0; i < added.size(); i++) {
            String where = source + " added_tokens[" + i + "]";
            if (!added.get(i).isJsonObject()) {
                throw new ModelException(where + ": not a JSON object");
            }
            JsonObject token = added.get(i).getAsJsonObject();
            String content = string(token, "content", where);
            long id = id(token.get("id"), where + ".id");
            Long inVocab = vocab.get(content);
            if (inVocab != null && inVocab != id) {
                throw new ModelException(where + ": '" + content + "' has id " + id
                        + " but model.vocab gives it id " + inVocab);
            }
            if (inVocab == null && byId.containsKey(id)) {
                throw new ModelException(where + ": '" + content + "' has id " + id
                        + ", which model.vocab gives to '" + byId.get(id) + "'");
            }
            addedIds.put(content, id);
            singleWord |= token.has("single_word") && token.get("single_word").isJsonPrimitive()
                    && token.get("single_word").getAsBoolean();
            maxId = Math.max(maxId, id);
        }

        String unkToken = model.has("unk_token") ? string(model, "unk_token", source) : UNK;
        Map<String, String> specialTokens = new LinkedHashMap<>();
        specialTokens.put("pad", PAD);
        specialTokens.put("unk", unkToken);
        specialTokens.put("cls", CLS);
        specialTokens.put("sep", SEP);
        specialTokens.put("mask", MASK);
        specialTokens.put("dec", DEC);
        if (enc) {
            specialTokens.put("enc", ENC);
        }

        Map<String, Long> specialIds = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : specialTokens.entrySet()) {
            if (e.getKey().equals("dec") || e.getKey().equals("enc")) {
                continue;
            }
            Long id = addedIds.containsKey(e.getValue()) ? addedIds.get(e.getValue()) : vocab.get(e.getValue());
            if (id == null) {
                throw new ModelException(source + ": the tokenizer has no " + e.getValue() + " token");
            }
            specialIds.put(e.getKey(), id);
        }

        // BLIP's init_tokenizer(): add_special_tokens({'bos_token': '[DEC]'}) then
        // add_special_tokens({'additional_special_tokens': ['[ENC]']}): they take the first two
        // ids after the WordPiece vocabulary.
        int baseVocabSize = vocab.size() - (int) blipTokens.stream().filter(vocab::containsKey).count();
        long expectedDec = baseVocabSize;
        long expectedEnc = baseVocabSize + 1L;
        for (String token : blipTokens) {
            long expected = token.equals(DEC) ? expectedDec : expectedEnc;
            Long present = addedIds.containsKey(token) ? addedIds.get(token) : vocab.get(token);
            if (present != null && present != expected) {
                throw new ModelException(source + ": " + token + " has id " + present + ", BLIP expects "
                        + expected + " (BLIP's init_tokenizer adds [DEC] then [ENC] right after the "
                        + baseVocabSize + "-token WordPiece vocabulary)");
            }
        }
        for (String token : blipTokens) {
            long expected = token.equals(DEC) ? expectedDec : expectedEnc;
            if (!addedIds.containsKey(token)) {
                if (!vocab.containsKey(token)) {
                    String holder = byId.get(expected);
                    for (Map.Entry<String, Long> e : addedIds.entrySet()) {
                        if (e.getValue() == expected) {
                            holder = e.getKey();
                        }
                    }
                    if (holder != null) {
                        throw new ModelException(source + ": id " + expected + " is taken by '" + holder
                                + "', but BLIP puts " + token + " there (right after the " + baseVocabSize
                                + "-token WordPiece vocabulary); the file has tokens added after the vocabulary");
                    }
                }
                // As a special token it is matched in raw text, like transformers' no-split tokens,
                // also when the vocabulary itself already lists it.
                added.add(addedToken(expected, token));
                addedIds.put(token, expected);
                maxId = Math.max(maxId, expected);
            }
            specialIds.put(token.equals(DEC) ? "dec" : "enc", expected);
        }
        root.add("added_tokens", added);
        // What transformers would save for this tokenizer, before the changes made for DJL below.
        String hfJson = root.toString();

        // Padding and truncation are done in Java (per call, not per tokenizer), and so is the
        // decoder's clean-up: the native WordPiece decoder cleans each token on its own, which
        // misses patterns spanning tokens such as " ' " (see BlipTokenizer.decode).
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        JsonObject decoder = new JsonObject();
        decoder.addProperty("type", "WordPiece");
        decoder.addProperty("prefix", model.has("continuing_subword_prefix")
                ? string(model, "continuing_subword_prefix", source)
                : SUBWORD_PREFIX);
        decoder.addProperty("cleanup", false);
        root.add("decoder", decoder);

        if (maxId >= Integer.MAX_VALUE) {
            throw new ModelException(source + ": token id " + maxId + " is out of range");
        }
        JsonObject normalizer = root.has("normalizer") && root.get("normalizer").isJsonObject()
                ? root.getAsJsonObject("normalizer")
                : null;
        JsonObject preTokenizer = root.has("pre_tokenizer") && root.get("pre_tokenizer").isJsonObject()
                ? root.getAsJsonObject("pre_tokenizer")
                : null;
        boolean bertPipeline = !singleWord
                && normalizer != null
                && hasType(normalizer, "BertNormalizer")
                && preTokenizer != null
                && hasType(preTokenizer, "BertPreTokenizer");
        boolean splitsCjk = bertPipeline
                && (!normalizer.has("handle_chinese_chars")
                        || (normalizer.get("handle_chinese_chars").isJsonPrimitive()
                                && normalizer.get("handle_chinese_chars").getAsBoolean()));
        StringBuilder addedChars = new StringBuilder();
        for (String content : addedIds.keySet()) {
            addedChars.append(content);
        }
        return new Prepared(root.toString(), hfJson, specialIds, specialTokens, baseVocabSize, (int) (maxId + 1),
                bertPipeline, splitsCjk, addedChars.toString());
    }

    private static boolean hasType(JsonObject component, String type) {
        JsonElement t = component.get("type");
        return t != null && t.isJsonPrimitive() && type.equals(t.getAsString());
    }

    private static JsonObject addedToken(long id, String content) {
        JsonObject token = new JsonObject();
        token.addProperty("id", id);
        token.addProperty("content", content);
        token.addProperty("single_word", false);
        token.addProperty("lstrip", false);
        token.addProperty("rstrip", false);
        token.addProperty("normalized", false);
        token.addProperty("special", true);
        return token;
    }

    private static JsonObject templatePiece(String kind, String id, int typeId) {
        JsonObject body = new JsonObject();
        body.addProperty("id", id);
        body.addProperty("type_id", typeId);
        JsonObject piece = new JsonObject();
        piece.add(kind, body);
        return piece;
    }

    private static JsonObject object(JsonObject parent, String key, String source) {
        JsonElement e = parent.get(key);
        if (e == null || !e.isJsonObject()) {
            throw new ModelException(source + ": '" + key + "' is missing or not a JSON object");
        }
        return e.getAsJsonObject();
    }

    private static JsonArray array(JsonObject parent, String key, String source) {
        JsonElement e = parent.get(key);
        if (e == null || !e.isJsonArray()) {
            throw new ModelException(source + ": '" + key + "' is missing or not a JSON array");
        }
        return e.getAsJsonArray();
    }

    private static String string(JsonObject parent, String key, String source) {
        JsonElement e = parent.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new ModelException(source + ": '" + key + "' is missing or not a string");
        }
        return e.getAsString();
    }

    private static long id(JsonElement e, String where) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new ModelException(where + ": token id is missing or not a number");
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        double d = p.getAsDouble();
        long id = p.getAsLong();
        if (d != id || id < 0 || id >= Integer.MAX_VALUE) {
            throw new ModelException(where + ": token id " + p + " is not a non-negative integer");
        }
        return id;
    }
}
