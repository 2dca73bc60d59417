package dev.blip4j.models.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.testing.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Configuration files that ask for impossible shapes: zero or negative sizes, fractions, strings,
 * sizes that do not divide. Each is a {@link ModelException} naming the file and the key, raised
 * while loading, before any array is sized from the value.
 */
class ConfigFilesHostileTest {

    @TempDir
    Path dir;

    /** {@code file}, a dotted key inside it, the JSON value to put there, and the expected message part. */
    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("config.json", "vision_config.hidden_size", "0", "must be a positive whole number, got 0"),
                Arguments.of("config.json", "vision_config.num_attention_heads", "-2", "got -2"),
                Arguments.of("config.json", "vision_config.image_size", "0", "positive whole number"),
                Arguments.of("config.json", "vision_config.patch_size", "-16", "positive whole number"),
                Arguments.of("config.json", "vision_config.num_hidden_layers", "0", "positive whole number"),
                Arguments.of("config.json", "vision_config.intermediate_size", "-192", "positive whole number"),
                Arguments.of("config.json", "vision_config.layer_norm_eps", "-1e-6", "must be a positive number"),
                Arguments.of("config.json", "text_config.hidden_size", "0", "positive whole number"),
                Arguments.of("config.json", "text_config.num_attention_heads", "0", "positive whole number"),
                Arguments.of("config.json", "text_config.num_hidden_layers", "-1", "positive whole number"),
                Arguments.of("config.json", "text_config.vocab_size", "0", "positive whole number"),
                Arguments.of("config.json", "text_config.max_position_embeddings", "-64", "positive whole number"),
                Arguments.of("config.json", "text_config.intermediate_size", "0", "positive whole number"),
                Arguments.of("config.json", "text_config.encoder_hidden_size", "0", "positive whole number"),
                Arguments.of("config.json", "text_config.layer_norm_eps", "0", "must be a positive number"),
                Arguments.of("config.json", "text_config.hidden_size", "32.5", "positive whole number, got 32.5"),
                Arguments.of("config.json", "text_config.hidden_size", "1e12", "positive whole number"),
                Arguments.of("config.json", "text_config.hidden_size", "\"32\"", "must be a number, got \"32\""),
                Arguments.of("config.json", "text_config.hidden_size", "[32]", "must be a number"),
                Arguments.of("config.json", "vision_config", "5", "must be an object, got 5"),
                Arguments.of("med_config.json", "hidden_size", "0", "positive whole number"),
                Arguments.of("med_config.json", "num_attention_heads", "-1", "positive whole number"),
                Arguments.of("med_config.json", "intermediate_size", "0", "positive whole number"),
                Arguments.of("med_config.json", "vocab_size", "-304", "positive whole number"),
                Arguments.of("med_config.json", "encoder_width", "0", "positive whole number"),
                Arguments.of("med_config.json", "max_position_embeddings", "0", "positive whole number"),
                Arguments.of("med_config.json", "layer_norm_eps", "-1", "positive number"),
                Arguments.of("blip_config.json", "image_size", "0", "positive whole number"),
                Arguments.of("blip_config.json", "image_size", "-64", "positive whole number"),
                Arguments.of("blip_config.json", "vit.patch_size", "0", "positive whole number"),
                Arguments.of("blip_config.json", "vit.heads", "-2", "positive whole number"),
                Arguments.of("blip_config.json", "vit.width", "0", "positive whole number"),
                Arguments.of("blip_config.json", "vit.depth", "-2", "positive whole number"),
                Arguments.of("blip_config.json", "vit.mlp_ratio", "0", "positive number"),
                Arguments.of("blip_config.json", "vit.mlp_ratio", "-4.0", "positive number"),
                Arguments.of("blip_config.json", "vit", "[]", "must be an object"));
    }

    @ParameterizedTest(name = "{0} {1} = {2}")
    @MethodSource("badValues")
    void zeroNegativeAndMistypedSizesAreRefusedNamingFileAndKey(String file, String key, String value, String problem)
            throws IOException {
        Path model = copy(file.equals("config.json") ? "hf" : "original");
        Path config = model.resolve(file);
        set(config, key, value);
        ModelException e = assertThrows(ModelException.class, () -> load(model).close());
        assertContains(e.getMessage(), config.toString(), "'" + key + "'", problem);
    }

    /** Values each valid alone but impossible together: the file of the checkpoint and the rule are named. */
    @Test
    void headsThatDoNotDivideTheWidthAreNamed() throws IOException {
        Path model = copy("hf");
        set(model.resolve("config.json"), "text_config.num_attention_heads", "3");
        ModelException e = assertThrows(ModelException.class, () -> load(model).close());
        assertContains(e.getMessage(), "model.safetensors", "hidden_size 32 is not divisible by 3 heads");
    }

    @Test
    void imageSizeThatIsNotAMultipleOfThePatchIsNamed() throws IOException {
        Path model = copy("original");
        set(model.resolve("blip_config.json"), "image_size", "40");
        ModelException e = assertThrows(ModelException.class, () -> load(model).close());
        assertContains(e.getMessage(), "model.pth", "image size 40 is not a multiple of the patch size 16");
    }

    /** 96000 ran out of memory, 800000 overflowed an int: sizes past the stated maximum are the configuration's fault. */
    @Test
    void imageSizesPastTheMaximumGridAreRefused() throws IOException {
        Path model = copy("hf");
        for (String size : new String[] {"96000", "800000", "2147483632"}) {
            set(model.resolve("config.json"), "vision_config.image_size", size);
            ModelException e = assertThrows(ModelException.class, () -> load(model).close());
            assertContains(e.getMessage(), "model.safetensors: image size " + size + " makes a ",
                    "grid of 16-pixel patches, more than the 64x64 blip4j runs (at most 1024 pixels)",
                    "(from the configuration file)");
        }
    }

    @Test
    void sizeThatDisagreesWithTheTensorsIsNamed() throws IOException {
        Path model = copy("hf");
        set(model.resolve("config.json"), "text_config.hidden_size", "64");
        ModelException e = assertThrows(ModelException.class, () -> load(model).close());
        assertContains(e.getMessage(), "model.safetensors", "configuration says text hidden_size", "= 64",
                "tensors have 32");
    }

    @Test
    void malformedAndDeeplyNestedJsonAreRefused() throws IOException {
        Path model = copy("hf");
        Path config = model.resolve("config.json");
        Files.writeString(config, "{\"text_config\": {\"hidden_size\": 32,");
        ModelException truncated = assertThrows(ModelException.class, () -> load(model).close());
        assertContains(truncated.getMessage(), config.toString(), "not valid JSON");

        Files.writeString(config, "[".repeat(200_000) + "]".repeat(200_000));
        ModelException nested = assertThrows(ModelException.class, () -> load(model).close());
        assertContains(nested.getMessage(), config.toString(), "not valid JSON (nested deeper than 255 levels at line 1,"
                + " column 257)");

        Files.writeString(config, "[1, 2]");
        ModelException array = assertThrows(ModelException.class, () -> load(model).close());
        assertContains(array.getMessage(), config.toString(), "expected a JSON object");
    }

    @Test
    void badPreprocessorSizeIsNamed() throws IOException {
        Path model = copy("hf");
        Path config = model.resolve("preprocessor_config.json");
        set(config, "size", "\"big\"");
        ModelException e = assertThrows(ModelException.class, () -> load(model).close());
        assertContains(e.getMessage(), config.toString());
    }

    // ---------------------------------------------------------------------------------------------

    private static BlipModel load(Path model) {
        return model.getFileName().toString().equals("hf") ? BlipModel.load(model)
                : BlipModel.builder(model.resolve("model.pth")).tokenizer(Golden.root().resolve("tokenizer/vocab.txt"))
                        .load();
    }

    /** The golden caption model of one layout, copied so its configuration can be edited. */
    private Path copy(String layout) throws IOException {
        Path from = Golden.of("caption").dir().resolve(layout);
        Path to = Files.createDirectories(dir.resolve(layout));
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    /** Sets a dotted key of a JSON file to the JSON text {@code value}. */
    private static void set(Path file, String dottedKey, String value) throws IOException {
        JsonObject root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        String[] parts = dottedKey.split("\\.");
        JsonObject o = root;
        for (int i = 0; i < parts.length - 1; i++) {
            o = o.getAsJsonObject(parts[i]);
        }
        JsonElement v = JsonParser.parseString(value);
        o.add(parts[parts.length - 1], v);
        Files.writeString(file, new Gson().toJson(root));
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "message '" + message + "' should contain '" + p + "'");
        }
    }
}
