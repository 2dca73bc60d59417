package dev.blip4j.models.text;

import com.google.gson.JsonObject;
import dev.blip4j.core.ModelException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where a {@link BlipTokenizer} comes from, each read into the {@code tokenizer.json} it runs on:
 * a HuggingFace {@code tokenizer.json}, a WordPiece {@code vocab.txt}, a model directory holding
 * either, or bert-base-uncased's vocabulary shipped in the jar. BLIP adds {@code [DEC]} and
 * {@code [ENC]} to the vocabulary, BLIP-2 only {@code [DEC]} ({@code enc} false).
 */
final class TokenizerSources {

    private static final String TOKENIZER_JSON = "tokenizer.json";
    private static final String VOCAB_TXT = "vocab.txt";
    private static final String BERT_BASE_UNCASED_RESOURCE = "bert-base-uncased-vocab.txt";

    /** A tokenizer read and prepared, with the name its messages use. */
    record Source(TokenizerJson.Prepared prepared, String name) {}

    private TokenizerSources() {}

    static Source tokenizerJson(Path file, boolean enc) {
        String name = file.toString();
        return new Source(TokenizerJson.prepare(TokenizerJson.parse(readText(file), name), name, enc), name);
    }

    static Source vocab(Path file, boolean enc) {
        try {
            return vocab(Files.readAllBytes(file), file.toString(), enc);
        } catch (IOException e) {
            throw new ModelException("cannot read vocabulary " + file + ": " + e, e);
        }
    }

    /** A {@code tokenizer.json}, a {@code vocab.txt}, or a directory holding one ({@code tokenizer.json} preferred). */
    static Source any(Path path, boolean enc) {
        if (Files.isDirectory(path)) {
            Path json = path.resolve(TOKENIZER_JSON);
            if (Files.isRegularFile(json)) {
                return tokenizerJson(json, enc);
            }
            Path vocab = path.resolve(VOCAB_TXT);
            if (Files.isRegularFile(vocab)) {
                return vocab(vocab, enc);
            }
            throw new ModelException("no " + TOKENIZER_JSON + " or " + VOCAB_TXT + " in directory " + path);
        }
        if (!Files.isRegularFile(path)) {
            throw new ModelException("tokenizer file not found: " + path);
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) {
            return tokenizerJson(path, enc);
        }
        if (name.endsWith(".txt")) {
            return vocab(path, enc);
        }
        return readText(path).stripLeading().startsWith("{") ? tokenizerJson(path, enc) : vocab(path, enc);
    }

    static Source bertBaseUncased(boolean enc) {
        String name = "classpath:" + BERT_BASE_UNCASED_RESOURCE;
        try (InputStream in = TokenizerSources.class.getResourceAsStream(BERT_BASE_UNCASED_RESOURCE)) {
            if (in == null) {
                throw new ModelException("resource " + BERT_BASE_UNCASED_RESOURCE
                        + " is missing from the classpath (blip-models jar)");
            }
            return vocab(in.readAllBytes(), name, enc);
        } catch (IOException e) {
            throw new ModelException("cannot read " + name + ": " + e, e);
        }
    }

    private static Source vocab(byte[] bytes, String name, boolean enc) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ModelException(name + ": vocabulary is not UTF-8 text", e);
        }
        // Lines end at \n, \r or \r\n, as Python's universal newlines read them for BERT's
        // load_vocab(); a final line break does not start another token.
        List<String> tokens = new BufferedReader(new StringReader(text)).lines().toList();
        JsonObject root = TokenizerJson.fromVocab(tokens, name);
        return new Source(TokenizerJson.prepare(root, name, enc), name);
    }

    private static String readText(Path path) {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelException("cannot read tokenizer file " + path + ": " + e, e);
        }
    }
}
