package dev.blip4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.InputException;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.config.ConfigFiles;
import dev.blip4j.models.convert.BlipConverter;
import dev.blip4j.models.convert.HfConversion;
import dev.blip4j.models.testing.Golden;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code blip convert} for every golden kind: the original {@code .pth} converted to an HF
 * directory has the golden {@code hf/} directory's tensor names, shapes and configuration, and
 * loading it gives the official outputs again (the same golden assertions as {@link NetworkGoldenTest}).
 */
class ConvertRoundTripTest {

    @TempDir
    Path tmp;

    private static Path vocab() {
        return Golden.root().resolve("tokenizer/vocab.txt");
    }

    private HfConversion convert(Golden g, BlipKind kind, Integer size) {
        return BlipConverter.convert(g.original(), vocab(), kind, size, tmp.resolve("out"));
    }

    private static NetworkLoader.Loaded load(Path dir) {
        NetworkLoader.Loaded loaded = NetworkLoader.load(ModelFiles.locate(dir), null, null, DataType.FLOAT32);
        assertEquals(Layout.HUGGINGFACE, loaded.info().layout());
        return loaded;
    }

    @ParameterizedTest
    @ValueSource(strings = {"caption", "caption_posinterp", "itm", "vqa", "retrieval", "feature_extractor"})
    void convertedDirectoryMatchesTheGoldenHfDirectory(String kind) {
        Golden g = Golden.of(kind);
        HfConversion c = convert(g, null, null);
        Map<String, long[]> want = shapes(g.hf().resolve("model.safetensors"));
        Map<String, long[]> got = shapes(c.out().resolve("model.safetensors"));
        assertEquals(want.keySet(), got.keySet(), kind + " tensor names");
        want.forEach((name, shape) -> assertArrayEquals(shape, got.get(name), kind + " " + name));

        JsonObject wantConfig = ConfigFiles.read(g.hf().resolve("config.json"));
        JsonObject gotConfig = ConfigFiles.read(c.out().resolve("config.json"));
        assertEquals(wantConfig.get("architectures"), gotConfig.get("architectures"), kind);
        assertEquals(wantConfig.get("model_type"), gotConfig.get("model_type"));
        for (String section : List.of("text_config", "vision_config")) {
            JsonObject w = wantConfig.getAsJsonObject(section);
            JsonObject o = gotConfig.getAsJsonObject(section);
            assertEquals(w.keySet(), o.keySet(), kind + " " + section + " keys");
            for (String key : w.keySet()) {
                assertEquals(number(w.get(key)), number(o.get(key)), kind + " " + section + "." + key);
            }
        }
        // The vision LayerNorm epsilon is written out: original checkpoints use 1e-6 (NOTES.md point 6).
        assertEquals(1e-6, gotConfig.getAsJsonObject("vision_config").get("layer_norm_eps").getAsDouble(), 1e-12);
        if (c.kind() == BlipKind.ITM) {
            assertEquals(16, gotConfig.get("image_text_hidden_size").getAsInt());
        }
        JsonObject pre = ConfigFiles.read(c.out().resolve("preprocessor_config.json"));
        assertEquals(ConfigFiles.read(g.hf().resolve("preprocessor_config.json")), pre);
        JsonObject special = ConfigFiles.read(c.out().resolve("special_tokens_map.json"));
        assertEquals(ConfigFiles.read(g.hf().resolve("special_tokens_map.json")), special);
        assertEquals(ConfigFiles.read(g.hf().resolve("added_tokens.json")),
                ConfigFiles.read(c.out().resolve("added_tokens.json")));
    }

    /** JSON numbers compared by value (1e-06 and 1.0E-6 are the same), everything else as is. */
    private static Object number(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? (Object) e.getAsDouble() : e;
    }

    private static Map<String, long[]> shapes(Path file) {
        Map<String, long[]> out = new TreeMap<>();
        for (Map.Entry<String, TensorData> e : SafeTensors.read(file).tensors().entrySet()) {
            out.put(e.getKey(), e.getValue().shape());
        }
        return out;
    }

    @Test
    void caption() {
        Golden g = Golden.of("caption");
        HfConversion c = convert(g, null, null);
        assertEquals(BlipKind.CAPTION, c.kind());
        NetworkGoldenTest.assertCaption(g, load(c.out()));
        // The written tokenizer files give the official captions from the PNG files.
        JsonArray want = g.results().getAsJsonObject("beam").getAsJsonArray("captions");
        try (BlipModel model = BlipModel.load(c.out())) {
            Captioner captioner = new Captioner(model);
            for (int i = 0; i < 3; i++) {
                assertEquals(want.get(i).getAsString(), captioner.caption(Golden.image(i)).get(0).text());
            }
        }
    }

    @Test
    void captionPositionsResizedAsLoadingResizesThem() {
        Golden g = Golden.of("caption_posinterp");
        HfConversion c = convert(g, null, null);
        assertEquals(32, c.checkpointImageSize());
        assertEquals(64, c.imageSize());
        NetworkGoldenTest.assertCaptionWithInterpolatedPositions(g, load(c.out()), 64);
    }

    @Test
    void imageSizeOptionResizesThePositionTable() {
        Golden g = Golden.of("caption");
        HfConversion c = convert(g, null, 96);
        assertArrayEquals(new long[] {1, 37, 48},
                SafeTensors.read(c.out().resolve("model.safetensors")).tensors()
                        .get("vision_model.embeddings.position_embedding").shape());
        assertEquals(96, ConfigFiles.read(c.out().resolve("config.json")).getAsJsonObject("vision_config")
                .get("image_size").getAsInt());
        try (BlipModel at96 = BlipModel.load(c.out());
                BlipModel loadedAt96 = BlipModel.builder(g.original()).tokenizer(vocab()).imageSize(96).load()) {
            assertEquals(96, at96.preprocessor().height());
            float[] a = at96.network().vision().posEmbed().toFloatArray();
            float[] b = loadedAt96.network().vision().posEmbed().toFloatArray();
            assertArrayEquals(b, a, 0f);
        }
    }

    @Test
    void itm() {
        Golden g = Golden.of("itm");
        NetworkGoldenTest.assertMatching(g, load(convert(g, null, null).out()), false);
    }

    @Test
    void retrievalDropsMomentumEncodersAndQueues() {
        Golden g = Golden.of("retrieval");
        HfConversion c = convert(g, null, null);
        assertEquals(List.of("BlipForImageTextRetrieval"), c.architectures());
        NetworkGoldenTest.assertMatching(g, load(c.out()), true);
    }

    @Test
    void vqa() {
        Golden g = Golden.of("vqa");
        HfConversion c = convert(g, null, null);
        assertEquals(List.of("BlipForQuestionAnswering"), c.architectures());
        NetworkGoldenTest.assertVqa(g, load(c.out()));
    }

    @Test
    void featureExtractorNamesTheTextTowerTextModel() {
        Golden g = Golden.of("feature_extractor");
        HfConversion c = convert(g, null, null);
        assertEquals(List.of("BlipModel"), c.architectures());
        assertTrue(SafeTensors.read(c.out().resolve("model.safetensors")).tensors().keySet().stream()
                .noneMatch(k -> k.startsWith("text_encoder.")));
        NetworkGoldenTest.assertFeatureExtractor(g, load(c.out()));
    }

    @Test
    void anItmCheckpointWrittenAsAFeatureExtractorKeepsItsEncoder() {
        Golden g = Golden.of("itm");
        HfConversion c = convert(g, BlipKind.FEATURE, null);
        try (BlipModel m = BlipModel.load(c.out())) {
            assertEquals(Set.of(BlipKind.FEATURE), m.info().config().kinds());
        }
    }

    @Test
    void aKindTheCheckpointIsNotIsRefused() {
        Golden g = Golden.of("caption");
        InputException e = assertThrows(InputException.class, () -> convert(g, BlipKind.VQA, null));
        assertTrue(e.getMessage().contains("[caption]") && e.getMessage().contains("vqa"), e.getMessage());
    }
}
