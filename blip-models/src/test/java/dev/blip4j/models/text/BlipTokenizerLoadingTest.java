package dev.blip4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.ModelException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The factories, the shipped bert-base-uncased vocabulary, and what is refused. */
class BlipTokenizerLoadingTest {

    @TempDir
    Path tmp;

    private static final Path GOLDEN_JSON = Golden.tokenizerDir().resolve("tokenizer.json");
    private static final Path GOLDEN_VOCAB = Golden.tokenizerDir().resolve("vocab.txt");

    @Test
    void bertBaseUncased() throws Exception {
        try (BlipTokenizer tok = BlipTokenizer.bertBaseUncased()) {
            assertEquals(30524, tok.vocabSize());
            assertEquals(30522, tok.decId());
            assertEquals(30523, tok.encId());
            assertEquals(0, tok.padId());
            assertEquals(100, tok.unkId());
            assertEquals(101, tok.clsId());
            assertEquals(102, tok.sepId());
            assertEquals(103, tok.maskId());
            assertArrayEquals(new long[] {101, 1037, 3861, 1997, 102}, tok.encode("a picture of ", 40).ids());
            assertEquals("a picture of", tok.decode(new long[] {30522, 1037, 3861, 1997, 102, 0, 0}));
            assertArrayEquals(new long[] {101, 30523, 102}, tok.encode("[ENC]", 40).ids());
            List<String> pieces = tok.tokenize("unaffable");
            assertTrue(pieces.size() > 1 && pieces.get(1).startsWith("##"), pieces.toString());
            assertEquals("unaffable", tok.decode(tok.encode("unaffable", 40).ids()));
            assertEquals("the man's dog isn't here.", tok.decode(tok.encode("The man's dog isn't here.", 40).ids()));
        }
        // the shipped file is the one the NOTICE names
        byte[] vocab;
        try (var in = BlipTokenizer.class.getResourceAsStream("bert-base-uncased-vocab.txt")) {
            vocab = in.readAllBytes();
        }
        assertEquals("07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(vocab)));
    }

    /** fromVocab generates exactly the tokenizer.json transformers' BertTokenizerFast wrote for the goldens. */
    @Test
    void generatedJsonEqualsTheGoldenTokenizerJson() throws IOException {
        JsonObject golden = JsonParser.parseString(Files.readString(GOLDEN_JSON)).getAsJsonObject();
        List<String> lines = Files.readAllLines(GOLDEN_VOCAB);
        JsonObject generated = TokenizerJson.fromVocab(lines, "vocab.txt");
        // the golden file already holds [DEC]/[ENC], which the plain BERT document does not
        JsonArray goldenAdded = golden.getAsJsonArray("added_tokens");
        JsonArray bertAdded = new JsonArray();
        for (JsonElement e : goldenAdded) {
            String content = e.getAsJsonObject().get("content").getAsString();
            if (!content.equals("[DEC]") && !content.equals("[ENC]")) {
                bertAdded.add(e);
            }
        }
        golden.add("added_tokens", bertAdded);
        assertEquals(golden, generated);

        // and once prepared, the added tokens are the golden's
        TokenizerJson.Prepared prepared = TokenizerJson.prepare(generated, "vocab.txt");
        JsonObject preparedJson = JsonParser.parseString(prepared.json()).getAsJsonObject();
        assertEquals(goldenAdded, preparedJson.getAsJsonArray("added_tokens"));
        assertEquals(302, prepared.baseVocabSize());
        assertEquals(304, prepared.vocabSize());
    }

    /** HF hub BLIP tokenizer.json files have no [DEC]/[ENC]: they are added with BLIP's ids. */
    @Test
    void hubStyleJsonWithoutBlipTokens() throws IOException {
        Path hub = tmp.resolve("tokenizer.json");
        Files.writeString(hub, withoutBlipTokens(Files.readString(GOLDEN_JSON)));
        try (BlipTokenizer tok = BlipTokenizer.fromTokenizerJson(hub);
                BlipTokenizer reference = BlipTokenizer.fromTokenizerJson(GOLDEN_JSON)) {
            assertEquals(302, tok.decId());
            assertEquals(303, tok.encId());
            assertEquals(304, tok.vocabSize());
            for (String text : List.of("[ENC] is special", "[DEC] a picture of", "A Café near the zebras' couch?")) {
                assertArrayEquals(reference.encode(text, 35).ids(), tok.encode(text, 35).ids(), text);
            }
            assertEquals("playing, weares.", tok.decode(new long[] {2, 199, 277, 16, 303, 209, 275, 18, 3}));
            assertEquals("[CLS] playing, [ENC] weares. [SEP]",
                    tok.decode(new long[] {2, 199, 277, 16, 303, 209, 275, 18, 3}, false));
        }
    }

    @Test
    void fromAcceptsFilesAndDirectories() throws IOException {
        try (BlipTokenizer a = BlipTokenizer.from(GOLDEN_JSON);
                BlipTokenizer b = BlipTokenizer.from(GOLDEN_VOCAB);
                BlipTokenizer c = BlipTokenizer.from(Golden.tokenizerDir())) {
            assertTrue(a.toString().endsWith("tokenizer.json, vocabSize=304, [DEC]=302, [ENC]=303]"), a.toString());
            assertTrue(b.toString().contains("vocab.txt"), b.toString());
            assertTrue(c.toString().contains("tokenizer.json"), "a directory prefers tokenizer.json: " + c);
        }
        // a directory with only vocab.txt
        Path onlyVocab = Files.createDirectory(tmp.resolve("only-vocab"));
        Files.copy(GOLDEN_VOCAB, onlyVocab.resolve("vocab.txt"));
        try (BlipTokenizer tok = BlipTokenizer.from(onlyVocab)) {
            assertEquals(304, tok.vocabSize());
            assertTrue(tok.toString().contains("vocab.txt"));
        }
        // other file names: the content decides
        Path jsonNoExt = tmp.resolve("tok");
        Files.copy(GOLDEN_JSON, jsonNoExt);
        Path vocabNoExt = tmp.resolve("vocab");
        Files.copy(GOLDEN_VOCAB, vocabNoExt);
        try (BlipTokenizer j = BlipTokenizer.from(jsonNoExt); BlipTokenizer v = BlipTokenizer.from(vocabNoExt)) {
            assertArrayEquals(j.encode("a cat", 10).ids(), v.encode("a cat", 10).ids());
        }
    }

    @Test
    void vocabWithWindowsLineEndings() throws IOException {
        Path crlf = tmp.resolve("vocab.txt");
        Files.writeString(crlf, String.join("\r\n", Files.readAllLines(GOLDEN_VOCAB)) + "\r\n");
        try (BlipTokenizer tok = BlipTokenizer.fromVocab(crlf)) {
            assertEquals(304, tok.vocabSize());
            assertArrayEquals(new long[] {2, 47, 124, 3}, tok.encode("a cat", 35).ids());
        }
    }

    @Test
    void blipTokensAlreadyInVocabTxt() throws IOException {
        Path vocab = tmp.resolve("vocab.txt");
        Files.writeString(vocab, Files.readString(GOLDEN_VOCAB) + "[DEC]\n[ENC]\n");
        try (BlipTokenizer tok = BlipTokenizer.fromVocab(vocab)) {
            assertEquals(302, tok.decId());
            assertEquals(303, tok.encId());
            assertEquals(304, tok.vocabSize());
            assertArrayEquals(new long[] {2, 303, 83, 1, 3}, tok.encode("[ENC] is special", 35).ids());
        }
    }

    @Test
    void refusesMissingAndMalformedFiles() throws IOException {
        assertMessage(() -> BlipTokenizer.fromTokenizerJson(tmp.resolve("nope.json")), "nope.json");
        assertMessage(() -> BlipTokenizer.fromVocab(tmp.resolve("nope.txt")), "nope.txt");
        assertMessage(() -> BlipTokenizer.from(tmp.resolve("nope")), "not found");
        assertMessage(() -> BlipTokenizer.from(tmp), "no tokenizer.json or vocab.txt");

        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"model\": ");
        assertMessage(() -> BlipTokenizer.fromTokenizerJson(broken), "not a valid tokenizer.json");

        Path array = tmp.resolve("array.json");
        Files.writeString(array, "[1, 2]");
        assertMessage(() -> BlipTokenizer.fromTokenizerJson(array), "not a JSON object");

        Path bpe = tmp.resolve("bpe.json");
        JsonObject root = JsonParser.parseString(Files.readString(GOLDEN_JSON)).getAsJsonObject();
        root.getAsJsonObject("model").addProperty("type", "BPE");
        Files.writeString(bpe, root.toString());
        assertMessage(() -> BlipTokenizer.fromTokenizerJson(bpe), "WordPiece");

        Path latin1 = tmp.resolve("latin1.txt");
        Files.write(latin1, "[PAD]\n[UNK]\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertMessage(() -> BlipTokenizer.fromVocab(latin1), "not UTF-8");

        Path empty = tmp.resolve("empty.txt");
        Files.writeString(empty, "");
        assertMessage(() -> BlipTokenizer.fromVocab(empty), "empty");

        Path noCls = tmp.resolve("nocls.txt");
        Files.writeString(noCls, "[PAD]\n[UNK]\n[SEP]\n[MASK]\na\n");
        assertMessage(() -> BlipTokenizer.fromVocab(noCls), "[CLS]");

        Path duplicate = tmp.resolve("dup.txt");
        Files.writeString(duplicate, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\na\n");
        assertMessage(() -> BlipTokenizer.fromVocab(duplicate), "appears twice");
    }

    /** [DEC]/[ENC] present with other ids than BLIP's: a clear error, never silently other ids. */
    @Test
    void refusesWrongBlipTokenIds() throws IOException {
        String golden = Files.readString(GOLDEN_JSON);

        // [DEC] and [ENC] swapped
        JsonObject swapped = JsonParser.parseString(golden).getAsJsonObject();
        for (JsonElement e : swapped.getAsJsonArray("added_tokens")) {
            JsonObject t = e.getAsJsonObject();
            if (t.get("content").getAsString().equals("[DEC]")) {
                t.addProperty("content", "[ENC]");
            } else if (t.get("content").getAsString().equals("[ENC]")) {
                t.addProperty("content", "[DEC]");
            }
        }
        Path swappedFile = tmp.resolve("swapped.json");
        Files.writeString(swappedFile, swapped.toString());
        assertMessage(() -> BlipTokenizer.fromTokenizerJson(swappedFile), "[DEC] has id 303, BLIP expects 302");

        // another token added right after the vocabulary, where [DEC] belongs
        JsonObject other = JsonParser.parseString(withoutBlipTokens(golden)).getAsJsonObject();
        JsonObject extra = new JsonObject();
        extra.addProperty("id", 302);
        extra.addProperty("content", "<extra>");
        extra.addProperty("single_word", false);
        extra.addProperty("lstrip", false);
        extra.addProperty("rstrip", false);
        extra.addProperty("normalized", false);
        extra.addProperty("special", true);
        other.getAsJsonArray("added_tokens").add(extra);
        Path otherFile = tmp.resolve("other.json");
        Files.writeString(otherFile, other.toString());
        assertMessage(() -> BlipTokenizer.fromTokenizerJson(otherFile), "id 302 is taken by '<extra>'");

        // [ENC] only, at a wrong id
        JsonObject encOnly = JsonParser.parseString(withoutBlipTokens(golden)).getAsJsonObject();
        JsonObject enc = extra.deepCopy();
        enc.addProperty("content", "[ENC]");
        enc.addProperty("id", 302);
        encOnly.getAsJsonArray("added_tokens").add(enc);
        Path encOnlyFile = tmp.resolve("enc-only.json");
        Files.writeString(encOnlyFile, encOnly.toString());
        assertMessage(() -> BlipTokenizer.fromTokenizerJson(encOnlyFile), "[ENC] has id 302, BLIP expects 303");

        // a post-processor that is not BERT's [CLS] $A [SEP]
        JsonObject noTemplate = JsonParser.parseString(golden).getAsJsonObject();
        noTemplate.add("post_processor", com.google.gson.JsonNull.INSTANCE);
        Path noTemplateFile = tmp.resolve("no-template.json");
        Files.writeString(noTemplateFile, noTemplate.toString());
        assertMessage(() -> BlipTokenizer.fromTokenizerJson(noTemplateFile), "[CLS] text [SEP]");
    }

    /**
     * Documents why decode is not DJL's decode(ids, true) alone: the native WordPiece decoder
     * cleans up each token on its own. If this starts failing, DJL/tokenizers changed and the
     * Java fix-up in BlipTokenizer.decode may be simplified.
     */
    @Test
    void djlDecodeAloneDiffersFromTransformers() throws IOException {
        long[] ids = {2, 47, 241, 229, 74, 142, 274, 11, 161, 25, 3}; // "A Café near the zebras' couch?"
        Map<String, String> options = Map.of("truncation", "false", "padding", "false");
        try (HuggingFaceTokenizer raw = HuggingFaceTokenizer.newInstance(GOLDEN_JSON, options);
                BlipTokenizer tok = BlipTokenizer.fromTokenizerJson(GOLDEN_JSON)) {
            String transformers = "a cafe near the zebras'couch?"; // tokenizer_cases.json
            assertEquals("a cafe near the zebras ' couch?", raw.decode(ids, true));
            assertNotEquals(transformers, raw.decode(ids, true));
            assertEquals(transformers, tok.decode(ids));
            // ids outside the vocabulary: DJL drops them silently, we refuse them
            assertEquals("a", raw.decode(new long[] {999, 47}, true));
            assertThrows(dev.blip4j.core.InputException.class, () -> tok.decode(new long[] {999, 47}));
        }
    }

    private static String withoutBlipTokens(String tokenizerJson) {
        JsonObject root = JsonParser.parseString(tokenizerJson).getAsJsonObject();
        JsonArray kept = new JsonArray();
        for (JsonElement e : root.getAsJsonArray("added_tokens")) {
            String content = e.getAsJsonObject().get("content").getAsString();
            if (!content.equals("[DEC]") && !content.equals("[ENC]")) {
                kept.add(e);
            }
        }
        root.add("added_tokens", kept);
        return root.toString();
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        ModelException e = assertThrows(ModelException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
