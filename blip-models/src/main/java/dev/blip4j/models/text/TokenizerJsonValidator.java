package dev.blip4j.models.text;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Checks a {@code tokenizer.json} in Java before HuggingFace's native tokenizers library sees it,
 * and rebuilds it from the values checked. That library is Rust: a panic in it (a
 * {@code Precompiled} normalizer with a garbage charsmap, a {@code Split} pre-tokenizer whose regex
 * backtracks) aborts the JVM, and it builds whatever it is given before anything can be counted
 * (200,000 added tokens take minutes).
 *
 * <p>BLIP's tokenizers are BERT WordPiece, so exactly that pipeline is accepted: a
 * {@code BertNormalizer}, the {@code BertPreTokenizer}, a {@code WordPiece} model, BERT's
 * {@code [CLS] $A [SEP]} post-processing ({@code TemplateProcessing} or {@code BertProcessing}) and
 * the {@code WordPiece} decoder; any other component is refused by name. Counts come first: the
 * file's size, the added tokens and the vocabulary are bounded before any entry is looked at. The
 * native library then gets a document holding the checked values only, in the form transformers
 * writes (unknown fields dropped; truncation and padding off).
 */
final class TokenizerJsonValidator {

    /** bert-base-uncased's tokenizer.json is 0.7 MB, multilingual BERT's (120k tokens) 2.9 MB. */
    static final long MAX_FILE_BYTES = 32L << 20;
    /** The largest WordPiece vocabularies published have 250k entries. */
    static final int MAX_VOCAB = 1 << 20;
    /** BERT's five special tokens plus BLIP's [DEC] and [ENC] are added; this leaves ample room. */
    static final int MAX_ADDED_TOKENS = 1024;
    /** A token longer than this is no WordPiece: BERT splits words at 100 characters. */
    static final int MAX_TOKEN_CHARS = 1024;
    /** WordPiece's greedy match costs the square of this per word; BERT uses 100. */
    static final int MAX_INPUT_CHARS_PER_WORD = 1024;
    /** {@code ##} in every BERT; a prefix is a marker, not text. */
    static final int MAX_PREFIX_CHARS = 16;

    private static final String PIPELINE = "BLIP's tokenizer is BERT WordPiece (BertNormalizer, BertPreTokenizer,"
            + " WordPiece model, [CLS] $A [SEP] post-processing, WordPiece decoder)";

    private TokenizerJsonValidator() {}

    /** The bytes of a tokenizer file, refused unread when it is too large to be one. */
    static byte[] readBytes(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new ModelException(file + ": " + size + " bytes is too large for a tokenizer file (at most "
                        + MAX_FILE_BYTES + ")");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelException("cannot read tokenizer file " + file + ": no such file", e);
        } catch (IOException e) {
            throw new ModelException("cannot read tokenizer file " + file + ": " + e, e);
        }
    }

    /** The text of a tokenizer file, which must be UTF-8. */
    static String read(Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(readBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ModelException(file + ": not UTF-8 text", e);
        }
    }

    /**
     * Parses a tokenizer.json and rebuilds it from its checked values. The added tokens and the
     * vocabulary are counted on the token stream first, so a file with far too many is refused
     * after reading a thousand of them, not after building all of them in memory.
     *
     * @throws ModelException naming the component or entry that BLIP's tokenizer cannot have
     */
    static JsonObject validate(String text, String source) {
        countFirst(text, source);
        return validate(TokenizerJson.parse(text, source), source);
    }

    /**
     * The document rebuilt from its checked values.
     *
     * @throws ModelException naming the component or entry that BLIP's tokenizer cannot have
     */
    static JsonObject validate(JsonObject root, String source) {
        JsonArray added = addedTokens(root, source);
        JsonObject model = model(TokenizerJson.object(root, "model", source), source);
        JsonObject out = new JsonObject();
        out.addProperty("version", "1.0");
        out.add("truncation", JsonNull.INSTANCE);
        out.add("padding", JsonNull.INSTANCE);
        out.add("added_tokens", added);
        out.add("normalizer", normalizer(root.get("normalizer"), source));
        out.add("pre_tokenizer", preTokenizer(root.get("pre_tokenizer"), source));
        out.add("post_processor", postProcessor(root.get("post_processor"), source));
        out.add("decoder", decoder(root.get("decoder"), model, source));
        out.add("model", model);
        return out;
    }

    /** Refuses too many added tokens or vocabulary entries; leaves every other problem to the parser. */
    private static void countFirst(String text, String source) {
        try (JsonReader r = new JsonReader(new StringReader(text))) {
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                return;
            }
            r.beginObject();
            while (r.hasNext()) {
                String key = r.nextName();
                if (key.equals("added_tokens") && r.peek() == JsonToken.BEGIN_ARRAY) {
                    long n = count(r, false, MAX_ADDED_TOKENS);
                    if (n > MAX_ADDED_TOKENS) {
                        throw tooManyAdded(source, "more than " + MAX_ADDED_TOKENS);
                    }
                } else if (key.equals("model") && r.peek() == JsonToken.BEGIN_OBJECT) {
                    r.beginObject();
                    while (r.hasNext()) {
                        if (r.nextName().equals("vocab") && r.peek() == JsonToken.BEGIN_OBJECT
                                && count(r, true, MAX_VOCAB) > MAX_VOCAB) {
                            throw tooManyVocab(source + " model", "more than " + MAX_VOCAB);
                        } else {
                            r.skipValue();
                        }
                    }
                    r.endObject();
                } else {
                    r.skipValue();
                }
            }
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // malformed: the parser that follows says what is wrong
        }
    }

    /** Elements of the array (or entries of the object) at the reader, up to one more than {@code limit}. */
    private static long count(JsonReader r, boolean object, long limit) throws IOException {
        long n = 0;
        if (object) {
            r.beginObject();
        } else {
            r.beginArray();
        }
        while (r.hasNext() && n <= limit) {
            if (object) {
                r.nextName();
            }
            r.skipValue();
            n++;
        }
        return n;
    }

    private static ModelException tooManyAdded(String source, String count) {
        return new ModelException(source + ": " + count + " added tokens; blip4j accepts at most " + MAX_ADDED_TOKENS
                + " (BLIP's tokenizers add 7: BERT's five special tokens, [DEC] and [ENC])");
    }

    private static ModelException tooManyVocab(String where, String count) {
        return new ModelException(where + ": " + count + " vocabulary entries; blip4j accepts at most " + MAX_VOCAB);
    }

    private static JsonArray addedTokens(JsonObject root, String source) {
        JsonElement e = root.get("added_tokens");
        if (e == null || e.isJsonNull()) {
            return new JsonArray();
        }
        if (!e.isJsonArray()) {
            throw new ModelException(source + ": 'added_tokens' is not a JSON array");
        }
        JsonArray in = e.getAsJsonArray();
        if (in.size() > MAX_ADDED_TOKENS) {
            throw tooManyAdded(source, Integer.toString(in.size()));
        }
        JsonArray out = new JsonArray();
        for (int i = 0; i < in.size(); i++) {
            String where = source + " added_tokens[" + i + "]";
            if (!in.get(i).isJsonObject()) {
                throw new ModelException(where + ": not a JSON object");
            }
            JsonObject t = in.get(i).getAsJsonObject();
            JsonObject token = new JsonObject();
            token.add("id", integer(t, "id", 0, Integer.MAX_VALUE - 1, where, null));
            token.addProperty("content", token(t, "content", where));
            boolean special = bool(t, "special", false, where);
            token.addProperty("single_word", bool(t, "single_word", false, where));
            token.addProperty("lstrip", bool(t, "lstrip", false, where));
            token.addProperty("rstrip", bool(t, "rstrip", false, where));
            token.addProperty("normalized", bool(t, "normalized", !special, where));
            token.addProperty("special", special);
            out.add(token);
        }
        return out;
    }

    private static JsonObject model(JsonObject in, String source) {
        String where = source + " model";
        String type = in.has("type") ? TokenizerJson.string(in, "type", where) : "WordPiece";
        if (!type.equals("WordPiece")) {
            throw new ModelException(source + ": model type is '" + type + "', BLIP needs BERT's WordPiece tokenizer");
        }
        JsonObject vocab = TokenizerJson.object(in, "vocab", where);
        if (vocab.size() > MAX_VOCAB) {
            throw tooManyVocab(where, Integer.toString(vocab.size()));
        }
        JsonObject checked = new JsonObject();
        for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
            if (e.getKey().length() > MAX_TOKEN_CHARS) {
                throw new ModelException(where + ".vocab: a token of " + e.getKey().length() + " characters, more than "
                        + MAX_TOKEN_CHARS);
            }
            checked.add(e.getKey(), integer(vocab, e.getKey(), 0, Integer.MAX_VALUE - 1,
                    where + ".vocab['" + e.getKey() + "']", null));
        }
        JsonObject out = new JsonObject();
        out.addProperty("type", "WordPiece");
        String unk = in.has("unk_token") ? token(in, "unk_token", where) : TokenizerJson.UNK;
        if (!vocab.has(unk)) {
            throw new ModelException(where + ": the unk_token '" + unk + "' is not in the vocabulary");
        }
        out.addProperty("unk_token", unk);
        String prefix = in.has("continuing_subword_prefix")
                ? TokenizerJson.string(in, "continuing_subword_prefix", where) : "##";
        if (prefix.length() > MAX_PREFIX_CHARS) {
            throw new ModelException(where + ": continuing_subword_prefix of " + prefix.length()
                    + " characters, more than " + MAX_PREFIX_CHARS);
        }
        out.addProperty("continuing_subword_prefix", prefix);
        out.add("max_input_chars_per_word", integer(in, "max_input_chars_per_word", 1, MAX_INPUT_CHARS_PER_WORD,
                where, new JsonPrimitive(100)));
        out.add("vocab", checked);
        return out;
    }

    private static JsonObject normalizer(JsonElement e, String source) {
        JsonObject in = component(e, "normalizer", "BertNormalizer", source);
        String where = source + " normalizer";
        JsonObject out = new JsonObject();
        out.addProperty("type", "BertNormalizer");
        out.addProperty("clean_text", bool(in, "clean_text", true, where));
        out.addProperty("handle_chinese_chars", bool(in, "handle_chinese_chars", true, where));
        JsonElement strip = in.get("strip_accents");
        if (strip == null || strip.isJsonNull()) {
            out.add("strip_accents", JsonNull.INSTANCE);
        } else {
            out.addProperty("strip_accents", bool(in, "strip_accents", false, where));
        }
        out.addProperty("lowercase", bool(in, "lowercase", true, where));
        return out;
    }

    private static JsonObject preTokenizer(JsonElement e, String source) {
        component(e, "pre_tokenizer", "BertPreTokenizer", source);
        JsonObject out = new JsonObject();
        out.addProperty("type", "BertPreTokenizer");
        return out;
    }

    /**
     * BERT's {@code [CLS] $A [SEP]}: either form, its special tokens resolved to ids. The pair
     * template is rebuilt from the single one (blip4j never encodes pairs).
     */
    private static JsonObject postProcessor(JsonElement e, String source) {
        String where = source + " post_processor";
        if (e == null || e.isJsonNull()) {
            throw new ModelException(source + ": no post_processor; BLIP needs BERT's [CLS] text [SEP]");
        }
        JsonObject in = component(e, "post_processor", null, source);
        String type = TokenizerJson.string(in, "type", where);
        if (type.equals("BertProcessing")) {
            JsonObject out = new JsonObject();
            out.addProperty("type", "BertProcessing");
            out.add("sep", tokenAndId(in, "sep", where));
            out.add("cls", tokenAndId(in, "cls", where));
            return out;
        }
        if (!type.equals("TemplateProcessing")) {
            throw new ModelException(source + ": post_processor '" + type + "' is not BERT's [CLS] text [SEP] ("
                    + PIPELINE + ")");
        }
        JsonArray single = TokenizerJson.array(in, "single", where);
        String template = where + ".single";
        if (single.size() != 3) {
            throw new ModelException(template + ": " + single.size() + " pieces; BLIP needs BERT's [CLS] text [SEP]");
        }
        String cls = templatePiece(single.get(0), "SpecialToken", template);
        String a = templatePiece(single.get(1), "Sequence", template);
        String sep = templatePiece(single.get(2), "SpecialToken", template);
        if (!a.equals("A")) {
            throw new ModelException(template + ": the sequence is '" + a + "'; BLIP needs BERT's [CLS] text [SEP]");
        }
        JsonObject specials = TokenizerJson.object(in, "special_tokens", where);
        JsonObject checkedSpecials = new JsonObject();
        for (String token : new LinkedHashSet<>(List.of(cls, sep))) {
            checkedSpecials.add(token, specialToken(specials, token, where + ".special_tokens"));
        }
        JsonObject out = new JsonObject();
        out.addProperty("type", "TemplateProcessing");
        out.add("single", pieces(cls, "A", 0, sep));
        JsonArray pair = pieces(cls, "A", 0, sep);
        pair.addAll(pieces(null, "B", 1, sep));
        out.add("pair", pair);
        out.add("special_tokens", checkedSpecials);
        return out;
    }

    private static JsonObject decoder(JsonElement e, JsonObject model, String source) {
        JsonObject out = new JsonObject();
        out.addProperty("type", "WordPiece");
        out.add("prefix", model.get("continuing_subword_prefix"));
        boolean cleanup = true;
        if (e != null && !e.isJsonNull()) {
            JsonObject in = component(e, "decoder", "WordPiece", source);
            cleanup = bool(in, "cleanup", true, source + " decoder");
        }
        out.addProperty("cleanup", cleanup);
        return out;
    }

    // ---- pieces -----------------------------------------------------------------------------------

    /** A component object whose {@code type} must be {@code expected} (any when null). */
    private static JsonObject component(JsonElement e, String key, String expected, String source) {
        if (e == null || e.isJsonNull()) {
            throw new ModelException(source + ": no " + key + "; " + PIPELINE);
        }
        if (!e.isJsonObject()) {
            throw new ModelException(source + ": '" + key + "' is not a JSON object");
        }
        JsonObject o = e.getAsJsonObject();
        String type = TokenizerJson.string(o, "type", source + " " + key);
        if (expected != null && !type.equals(expected)) {
            throw new ModelException(source + ": " + key + " '" + type + "' is not supported; " + PIPELINE);
        }
        return o;
    }

    /** {@code {"SpecialToken": {"id": ..., "type_id": 0}}}: the id of a piece of the expected kind. */
    private static String templatePiece(JsonElement e, String kind, String where) {
        if (!e.isJsonObject() || e.getAsJsonObject().size() != 1 || !e.getAsJsonObject().has(kind)
                || !e.getAsJsonObject().get(kind).isJsonObject()) {
            throw new ModelException(where + ": expected a " + kind + " piece of BERT's [CLS] text [SEP], got "
                    + abbreviate(e));
        }
        JsonObject body = e.getAsJsonObject().getAsJsonObject(kind);
        integer(body, "type_id", 0, 1, where, new JsonPrimitive(0));
        return token(body, "id", where);
    }

    private static JsonArray pieces(String cls, String sequence, int typeId, String sep) {
        JsonArray out = new JsonArray();
        if (cls != null) {
            out.add(TokenizerJson.templatePiece("SpecialToken", cls, typeId));
        }
        out.add(TokenizerJson.templatePiece("Sequence", sequence, typeId));
        out.add(TokenizerJson.templatePiece("SpecialToken", sep, typeId));
        return out;
    }

    /** {@code {"id": "[CLS]", "ids": [101], "tokens": ["[CLS]"]}}: one token, one id. */
    private static JsonObject specialToken(JsonObject specials, String token, String where) {
        JsonObject in = TokenizerJson.object(specials, token, where);
        String at = where + "['" + token + "']";
        JsonArray ids = TokenizerJson.array(in, "ids", at);
        JsonArray tokens = TokenizerJson.array(in, "tokens", at);
        if (ids.size() != 1 || tokens.size() != 1) {
            throw new ModelException(at + ": " + ids.size() + " ids and " + tokens.size()
                    + " tokens; BERT's [CLS] and [SEP] are one token each");
        }
        JsonObject out = new JsonObject();
        out.addProperty("id", token);
        JsonArray checkedIds = new JsonArray();
        checkedIds.add(integer(ids.get(0), 0, Integer.MAX_VALUE - 1, at + ".ids[0]"));
        out.add("ids", checkedIds);
        JsonArray checkedTokens = new JsonArray();
        checkedTokens.add(asToken(tokens.get(0), at + ".tokens[0]"));
        out.add("tokens", checkedTokens);
        return out;
    }

    /** BertProcessing's {@code ["[SEP]", 102]}. */
    private static JsonArray tokenAndId(JsonObject in, String key, String where) {
        JsonArray pair = TokenizerJson.array(in, key, where);
        if (pair.size() != 2) {
            throw new ModelException(where + "." + key + ": expected [token, id], got " + abbreviate(pair));
        }
        JsonArray out = new JsonArray();
        out.add(asToken(pair.get(0), where + "." + key + "[0]"));
        out.add(integer(pair.get(1), 0, Integer.MAX_VALUE - 1, where + "." + key + "[1]"));
        return out;
    }

    /** A non-empty string of at most {@link #MAX_TOKEN_CHARS} characters. */
    private static String token(JsonObject parent, String key, String where) {
        JsonElement e = parent.get(key);
        if (e == null) {
            throw new ModelException(where + ": '" + key + "' is missing");
        }
        return asToken(e, where + "." + key);
    }

    private static String asToken(JsonElement e, String where) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new ModelException(where + ": expected a token (a string), got " + abbreviate(e));
        }
        String s = e.getAsString();
        if (s.isEmpty() || s.length() > MAX_TOKEN_CHARS) {
            throw new ModelException(where + ": a token of " + s.length() + " characters (1 to " + MAX_TOKEN_CHARS
                    + " allowed)");
        }
        return s;
    }

    private static boolean bool(JsonObject parent, String key, boolean absent, String where) {
        JsonElement e = parent.get(key);
        if (e == null || e.isJsonNull()) {
            return absent;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new ModelException(where + ": '" + key + "' must be true or false, got " + abbreviate(e));
        }
        return e.getAsBoolean();
    }

    /** A whole number in {@code [min, max]}; {@code absent} when the key is missing (null: required). */
    private static JsonPrimitive integer(JsonObject parent, String key, long min, long max, String where,
            JsonPrimitive absent) {
        JsonElement e = parent.get(key);
        if (e == null && absent != null) {
            return absent;
        }
        if (e == null) {
            throw new ModelException(where + ": '" + key + "' is missing");
        }
        return integer(e, min, max, where + (where.endsWith("]") ? "" : "." + key));
    }

    private static JsonPrimitive integer(JsonElement e, long min, long max, String where) {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double d = e.getAsDouble();
            if (d == Math.rint(d) && d >= min && d <= max) {
                return new JsonPrimitive((long) d);
            }
        }
        throw new ModelException(where + ": expected a whole number from " + min + " to " + max + ", got "
                + abbreviate(e));
    }

    private static String abbreviate(JsonElement e) {
        String s = String.valueOf(e);
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
