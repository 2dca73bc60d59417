package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip nlvr}, {@code blip itm --gradcam} and {@code blip caption --gradcam} against the
 * goldens, and the one-line errors of their bad inputs.
 */
class NlvrGradCamCliTest {

    private static final String NLVR = CliRun.golden("nlvr/original/model.pth").toString();
    private static final String VOCAB = CliRun.golden("tokenizer/vocab.txt").toString();
    private static final String ITM = CliRun.golden("itm/hf").toString();
    private static final String CAPTION = CliRun.golden("caption/hf").toString();

    private static String image(int i) {
        return CliRun.golden("images/image" + i + ".png").toString();
    }

    private static Map<String, TensorData> golden(String kind) {
        return SafeTensors.read(CliRun.golden(kind + "/expected.safetensors")).tensors();
    }

    @Test
    void nlvrPrintsTheGoldenVerdicts() throws IOException {
        List<String> captions = MatchingCliTest.captions();
        float[] probs = golden("nlvr").get("nlvr_probs").toFloatArray();
        JsonArray predictions = JsonParser.parseString(Files.readString(CliRun.golden("nlvr/expected.json")))
                .getAsJsonObject().getAsJsonObject("results").getAsJsonArray("prediction");
        int[][] pairs = {{0, 1}, {1, 2}, {2, 0}};
        for (int p = 0; p < 3; p++) {
            List<String> args = new ArrayList<>(List.of("nlvr", "--model", NLVR, "--tokenizer", VOCAB,
                    "--image", image(pairs[p][0]), "--image", image(pairs[p][1])));
            captions.forEach(c -> args.addAll(List.of("--text", c)));
            CliRun plain = CliRun.of(args);
            assertEquals(0, plain.exit(), plain.toString());
            List<String> lines = plain.out().lines().toList();
            assertEquals(5, lines.size(), plain.out());
            assertEquals("probability\tprediction\ttext", lines.get(0), "the header");
            args.add("--json");
            CliRun json = CliRun.of(args);
            assertEquals(0, json.exit(), json.toString());
            JsonArray rows = JsonParser.parseString(json.out()).getAsJsonArray();
            for (int j = 0; j < 4; j++) {
                JsonObject row = rows.get(j).getAsJsonObject();
                assertEquals(captions.get(j), row.get("text").getAsString());
                assertEquals(probs[p * 4 + j], row.get("probability").getAsDouble(), 1e-5);
                boolean want = predictions.get(p).getAsJsonArray().get(j).getAsInt() == 1;
                assertEquals(want, row.get("prediction").getAsBoolean());
                assertEquals(String.format("%.6f\t%s\t%s", row.get("probability").getAsDouble(), want, captions.get(j)),
                        lines.get(j + 1));
            }
        }
    }

    @Test
    void nlvrTakesThePairAsPositionalImagesToo() {
        float[] probs = golden("nlvr").get("nlvr_probs").toFloatArray();
        CliRun r = CliRun.of("nlvr", "--model", NLVR, "--tokenizer", VOCAB, "--text", "a cat", "--jsonl", image(1),
                image(2));
        assertEquals(0, r.exit(), r.toString());
        JsonObject row = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertEquals(probs[4], row.get("probability").getAsDouble(), 1e-5, "pair (1, 2), caption 0");
    }

    @Test
    void itmGradCamJsonIsLavisAndThePicturesAreWritten(@TempDir Path tmp) throws IOException {
        List<String> captions = MatchingCliTest.captions();
        Map<String, TensorData> want = golden("gradcam");
        Path dir = tmp.resolve("maps");
        List<String> args = new ArrayList<>(List.of("itm", "--model", ITM, "--image", image(2), "--first-token", "enc",
                "--gradcam", dir.toString(), "--gradcam-layer", "0", "--json"));
        captions.forEach(c -> args.addAll(List.of("--text", c)));
        CliRun r = CliRun.of(args);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("grad-cam (text layer 0): wrote"), r.err());
        JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
        for (int j = 0; j < 4; j++) {
            JsonObject cam = rows.get(j).getAsJsonObject().getAsJsonObject("gradcam");
            assertEquals(0, cam.get("layer").getAsInt());
            assertEquals("[4,4]", cam.get("grid").toString());
            JsonArray tokens = cam.getAsJsonArray("tokens");
            JsonArray maps = cam.getAsJsonArray("token_maps");
            float[] tokenMaps = want.get("gradcam_tokens.2." + j).toFloatArray();
            assertEquals(tokenMaps.length / 16, tokens.size());
            assertEquals(tokens.size(), maps.size());
            assertEquals("[ENC]", tokens.get(0).getAsString());
            for (int t = 0; t < maps.size(); t++) {
                assertClose(tokenMaps, t * 16, maps.get(t).getAsJsonArray());
            }
            assertClose(want.get("gradcam_words.2." + j).toFloatArray(), 0, cam.getAsJsonArray("words_map"));
            assertTrue(Files.isRegularFile(dir.resolve("image2." + j + ".words.png")));
            for (int t = 1; t < tokens.size() - 1; t++) {
                String token = tokens.get(t).getAsString();
                try (var files = Files.list(dir)) {
                    String prefix = "image2." + j + "." + t + ".";
                    assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith(prefix)).count(),
                            "one picture for word " + t + " '" + token + "' of text " + j);
                }
            }
        }
        assertEquals(256, ImageIO.read(dir.resolve("image2.0.words.png").toFile()).getHeight(), "85 rows scaled to 256");
    }

    @Test
    void captionGradCamMapsTheGeneratedWords(@TempDir Path tmp) {
        Path dir = tmp.resolve("maps");
        CliRun r = CliRun.of("caption", "--model", CAPTION, "--greedy", "--gradcam", dir.toString(), "--json",
                image(0), image(1));
        assertEquals(0, r.exit(), r.toString());
        JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(2, rows.size());
        for (int i = 0; i < 2; i++) {
            JsonObject row = rows.get(i).getAsJsonObject();
            JsonObject cam = row.getAsJsonObject("gradcam");
            assertEquals(1, cam.get("layer").getAsInt(), "the middle of the tiny decoder's 2 layers");
            JsonArray ids = row.getAsJsonArray("token_ids");
            assertEquals(ids.size() - 4, cam.getAsJsonArray("tokens").size(), "after the 4 prompt tokens [DEC] a picture of");
            assertEquals(16, cam.getAsJsonArray("words_map").size());
            assertTrue(Files.isRegularFile(dir.resolve("image" + i + ".0.words.png")), row.toString());
        }
        CliRun.assertOneLineError(CliRun.of("caption", "--model", CAPTION, "--gradcam", dir.toString(), "--gradcam-layer", "2",
                image(0)), BlipCli.EXIT_USAGE, "--gradcam-layer 2 does not exist");
    }

    @Test
    void badInputsGiveOneLineErrorsAndTheUsualExitCodes(@TempDir Path tmp) {
        CliRun.assertOneLineError(CliRun.of("nlvr", "--model", NLVR, "--tokenizer", VOCAB, "--image", image(0), "--text", "a"),
                BlipCli.EXIT_USAGE, "give exactly two images, got 1");
        CliRun.assertOneLineError(CliRun.of("nlvr", "--model", NLVR, "--tokenizer", VOCAB, "--image", image(0), "--image",
                image(1), "--image", image(2), "--text", "a"), BlipCli.EXIT_USAGE, "got 3");
        CliRun.assertOneLineError(CliRun.of("nlvr", "--model", ITM, "--image", image(0), "--image", image(1), "--text", "a"),
                BlipCli.EXIT_MODEL, "NLVR2 needs a BLIP_NLVR checkpoint");
        CliRun.assertOneLineError(CliRun.of("caption", "--model", NLVR, "--tokenizer", VOCAB, image(0)), BlipCli.EXIT_MODEL,
                "no text decoder");
        CliRun.assertOneLineError(CliRun.of("itm", "--model", CAPTION, "--image", image(0), "--text", "a", "--gradcam",
                tmp.toString()), BlipCli.EXIT_MODEL, "Grad-CAM of image-text matching needs");
        CliRun.assertOneLineError(CliRun.of("itm", "--model", ITM, "--image", image(0), "--text", "a", "--gradcam",
                tmp.toString(), "--gradcam-layer", "2"), BlipCli.EXIT_USAGE, "layers 0 to 1");
        CliRun.assertOneLineError(CliRun.of("itm", "--model", ITM, "--image", image(0), "--text", "a", "--gradcam-layer", "0"),
                BlipCli.EXIT_USAGE, "--gradcam-layer needs --gradcam");
        CliRun.assertOneLineError(CliRun.of("convert", "--checkpoint", NLVR, "--tokenizer", VOCAB, "--out",
                tmp.resolve("hf").toString()), BlipCli.EXIT_MODEL, "NLVR2 checkpoint cannot be converted");
        assertFalse(Files.exists(tmp.resolve("hf")));
        CliRun inspect = CliRun.of("inspect", "--model", NLVR, "--tokenizer", VOCAB, "--json");
        assertEquals(0, inspect.exit(), inspect.toString());
        assertEquals("[\"nlvr\"]", JsonParser.parseString(inspect.out()).getAsJsonObject().get("kinds").toString());
    }

    private static void assertClose(float[] want, int from, JsonArray got) {
        assertEquals(16, got.size());
        for (int i = 0; i < 16; i++) {
            float w = want[from + i];
            assertEquals(w, got.get(i).getAsDouble(), 1e-6 + 1e-4 * Math.abs(w), "value " + i);
        }
    }
}
