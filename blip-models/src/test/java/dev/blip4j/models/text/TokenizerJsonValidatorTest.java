package dev.blip4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenizer.json files that crash, hang or stall HuggingFace's native tokenizers library, each
 * built in code from the golden file and refused in Java, by name, before the library sees it.
 * Before this check the first two aborted the JVM (a Rust panic) and the third took minutes.
 */
class TokenizerJsonValidatorTest {

    private static final Path GOLDEN_JSON = Golden.tokenizerDir().resolve("tokenizer.json");

    @TempDir
    Path tmp;

    @Test
    void precompiledNormalizerIsRefusedByName() throws IOException {
        Path f = variant("precompiled", root -> {
            JsonObject n = new JsonObject();
            n.addProperty("type", "Precompiled");
            n.addProperty("precompiled_charsmap", "AAAA////garbage");
            root.add("normalizer", n);
        });
        assertRefused(f, "normalizer 'Precompiled' is not supported; BLIP's tokenizer is BERT WordPiece");
    }

    @Test
    void precompiledHiddenInASequenceIsRefused() throws IOException {
        Path f = variant("sequence", root -> {
            JsonObject n = new JsonObject();
            n.addProperty("type", "Sequence");
            JsonArray inner = new JsonArray();
            JsonObject p = new JsonObject();
            p.addProperty("type", "Precompiled");
            p.addProperty("precompiled_charsmap", "garbage");
            inner.add(p);
            n.add("normalizers", inner);
            root.add("normalizer", n);
        });
        assertRefused(f, "normalizer 'Sequence' is not supported");
    }

    @Test
    void backtrackingSplitPreTokenizerIsRefused() throws IOException {
        Path f = variant("split", root -> {
            JsonObject p = new JsonObject();
            p.addProperty("type", "Split");
            JsonObject pattern = new JsonObject();
            pattern.addProperty("Regex", "(a|aa)+$");
            p.add("pattern", pattern);
            p.addProperty("behavior", "Isolated");
            p.addProperty("invert", false);
            root.add("pre_tokenizer", p);
        });
        assertRefused(f, "pre_tokenizer 'Split' is not supported");
    }

    @Test
    void twoHundredThousandAddedTokensAreRefusedAtOnce() throws IOException {
        JsonObject root = JsonParser.parseString(Files.readString(GOLDEN_JSON)).getAsJsonObject();
        StringBuilder added = new StringBuilder(root.get("added_tokens").toString());
        added.setLength(added.length() - 1);
        for (int i = 0; i < 200_000; i++) {
            added.append(",{\"id\":").append(304 + i).append(",\"content\":\"tok").append(i)
                    .append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":true,"
                            + "\"special\":false}");
        }
        root.addProperty("added_tokens", "@added@");
        Path f = Files.writeString(tmp.resolve("many.json"), root.toString().replace("\"@added@\"", added + "]"));
        // before the check the native library built all of them first: 5 to 10 minutes
        assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertRefused(f, "more than 1024 added tokens; blip4j accepts at most 1024"));
    }

    @Test
    void tokenCountAgainstTheEmbeddingRowsComesBeforeTheNativeLibrary() {
        ModelException e = assertThrows(ModelException.class, () -> BlipTokenizer.from(GOLDEN_JSON, 30524));
        assertTrue(e.getMessage().contains("the tokenizer has 304 tokens (with [DEC] and [ENC]) but the model's word"
                + " embeddings have 30524 rows"), e.getMessage());
        BlipTokenizer.from(GOLDEN_JSON, 304).close();
    }

    @Test
    void otherComponentsAndValuesAreRefused() throws IOException {
        assertRefused(variant("decoder", r -> r.getAsJsonObject("decoder").addProperty("type", "ByteLevel")),
                "decoder 'ByteLevel' is not supported");
        assertRefused(variant("processor", r -> r.getAsJsonObject("post_processor").addProperty("type", "RobertaProcessing")),
                "post_processor 'RobertaProcessing' is not BERT's [CLS] text [SEP]");
        assertRefused(variant("template", r -> r.getAsJsonObject("post_processor").getAsJsonArray("single").remove(0)),
                "post_processor.single: 2 pieces; BLIP needs BERT's [CLS] text [SEP]");
        assertRefused(variant("lowercase", r -> r.getAsJsonObject("normalizer").addProperty("lowercase", "yes")),
                "'lowercase' must be true or false, got \"yes\"");
        assertRefused(variant("word", r -> r.getAsJsonObject("model").addProperty("max_input_chars_per_word", 1 << 30)),
                "max_input_chars_per_word: expected a whole number from 1 to 1024, got 1073741824");
        assertRefused(variant("unk", r -> r.getAsJsonObject("model").addProperty("unk_token", "<nope>")),
                "the unk_token '<nope>' is not in the vocabulary");
        assertRefused(variant("long", r -> r.getAsJsonArray("added_tokens").get(0).getAsJsonObject()
                .addProperty("content", "x".repeat(5000))), "a token of 5000 characters (1 to 1024 allowed)");
    }

    @Test
    void nestingDeeperThanGsonReadsIsNamed() throws IOException {
        Path f = Files.writeString(tmp.resolve("deep.json"), "{\"a\": " + "[".repeat(300) + "]".repeat(300) + "}");
        assertRefused(f, "not a valid tokenizer.json: nested deeper than 255 levels at line 1, column 262");
    }

    /** The golden file survives the rebuild unchanged, and what the check drops never reaches the library. */
    @Test
    void theDocumentIsRebuiltFromCheckedValuesOnly() throws IOException {
        JsonElement golden = JsonParser.parseString(Files.readString(GOLDEN_JSON));
        try (BlipTokenizer tok = BlipTokenizer.fromTokenizerJson(GOLDEN_JSON)) {
            assertEquals(golden, JsonParser.parseString(tok.tokenizerJson()));
        }
        Path f = variant("extra", r -> {
            r.getAsJsonObject("normalizer").addProperty("precompiled_charsmap", "garbage");
            r.addProperty("unknown_top_level", 1);
        });
        try (BlipTokenizer tok = BlipTokenizer.fromTokenizerJson(f)) {
            assertFalse(tok.tokenizerJson().contains("garbage") || tok.tokenizerJson().contains("unknown_top_level"));
            assertEquals(golden, JsonParser.parseString(tok.tokenizerJson()));
        }
    }

    @Test
    void bertProcessingIsBertsTemplateToo() throws IOException {
        Path f = variant("bert-processing", r -> {
            JsonObject p = new JsonObject();
            p.addProperty("type", "BertProcessing");
            JsonArray sep = new JsonArray();
            sep.add("[SEP]");
            sep.add(3);
            JsonArray cls = new JsonArray();
            cls.add("[CLS]");
            cls.add(2);
            p.add("sep", sep);
            p.add("cls", cls);
            r.add("post_processor", p);
        });
        try (BlipTokenizer tok = BlipTokenizer.fromTokenizerJson(f); BlipTokenizer golden = BlipTokenizer.fromTokenizerJson(GOLDEN_JSON)) {
            assertEquals(golden.encode("a dog on a couch", 32), tok.encode("a dog on a couch", 32));
        }
    }

    // ---------------------------------------------------------------------------------------------

    private Path variant(String name, Consumer<JsonObject> change) throws IOException {
        JsonObject root = JsonParser.parseString(Files.readString(GOLDEN_JSON)).getAsJsonObject();
        change.accept(root);
        return Files.writeString(tmp.resolve(name + ".json"), root.toString());
    }

    private static void assertRefused(Path file, String fragment) {
        ModelException e = assertThrows(ModelException.class, () -> BlipTokenizer.fromTokenizerJson(file));
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should contain '" + fragment + "'");
    }
}
