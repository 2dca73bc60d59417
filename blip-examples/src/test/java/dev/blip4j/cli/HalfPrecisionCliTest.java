package dev.blip4j.cli;

import static dev.blip4j.cli.MatchingCliTest.GOLDEN;
import static dev.blip4j.cli.MatchingCliTest.blip;
import static dev.blip4j.cli.MatchingCliTest.golden;
import static dev.blip4j.cli.MatchingCliTest.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.blip4j.cli.MatchingCliTest.Run;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.SafeTensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip itm|features|search|vqa|capfilt --dtype float16} on the golden models give the
 * official float32 numbers within float16's tolerances (those of {@code HalfPrecisionTest}: 0.01
 * for probabilities and cosines, 0.05 for states and scores) and the same answers, rankings and
 * keep decisions.
 */
class HalfPrecisionCliTest {

    static final double UNIT_TOLERANCE = 0.01;
    static final double STATE_TOLERANCE = 0.05;

    @TempDir
    Path dir;

    @Test
    void itm() throws IOException {
        List<String> captions = MatchingCliTest.captions();
        float[] probs = golden("itm", "itm_probs");
        float[] sims = golden("itm", "itc_sim");
        double[] max = new double[2];
        for (int i = 0; i < 3; i++) {
            List<String> args = new ArrayList<>(List.of("itm", "--model", GOLDEN.resolve("itm/hf").toString(),
                    "--image", image(i), "--dtype", "float16", "--json"));
            captions.forEach(c -> args.addAll(List.of("--text", c)));
            Run r = blip(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonArray rows = r.json().getAsJsonArray();
            for (int j = 0; j < 4; j++) {
                JsonObject row = rows.get(j).getAsJsonObject();
                max[0] = Math.max(max[0], close("itm", probs[i * 4 + j], row.get("itm").getAsDouble(), UNIT_TOLERANCE));
                max[1] = Math.max(max[1], close("itc", sims[i * 4 + j], row.get("itc").getAsDouble(), UNIT_TOLERANCE));
            }
        }
        System.out.printf("blip itm --dtype float16: itm max |err| %.3g, itc %.3g vs the goldens%n", max[0], max[1]);
    }

    @Test
    void features() throws IOException {
        String model = GOLDEN.resolve("feature_extractor/hf").toString();
        Path file = dir.resolve("image.safetensors");
        Run r = blip("features", "--model", model, "--image", image(0), "--image", image(1), "--image", image(2),
                "--dtype", "float16", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        SafeTensorsFile f = SafeTensors.read(file);
        double max = closeAll("image_embeds", golden("feature_extractor", "image_embeds"),
                f.tensors().get("image_embeds").toFloatArray());

        List<String> captions = MatchingCliTest.captions();
        file = dir.resolve("multimodal.safetensors");
        List<String> both = new ArrayList<>(List.of("features", "--model", model, "--image", image(1), "--mode",
                "multimodal", "--dtype", "float16", "--out", file.toString()));
        captions.forEach(c -> both.addAll(List.of("--text", c)));
        r = blip(both.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        f = SafeTensors.read(file);
        for (int j = 0; j < 4; j++) {
            max = Math.max(max, closeAll("multimodal_embeds " + j, golden("feature_extractor", "multimodal_embeds.1." + j),
                    f.tensors().get("multimodal_embeds.0." + j).toFloatArray()));
        }
        System.out.printf("blip features --dtype float16: states max |err| %.3g vs the goldens%n", max);
    }

    @Test
    void searchWithReRanking() throws IOException {
        String model = GOLDEN.resolve("retrieval/hf").toString();
        Path folder = dir.resolve("photos");
        Files.createDirectories(folder);
        for (int i = 0; i < 3; i++) {
            Files.copy(Path.of(image(i)), folder.resolve("image" + i + ".png"));
        }
        Path index = dir.resolve("index");
        assertEquals(0, blip("index", "--model", model, "--images", folder.toString(), "--out", index.toString(),
                "--dtype", "float16").code());
        List<String> captions = MatchingCliTest.captions();
        // the official evaluation's score of every pair, image i and text j at 4 i + j
        float[] logits = golden("retrieval", "itm_logits");
        float[] sims = golden("retrieval", "itc_sim");
        float[] official = new float[12];
        for (int p = 0; p < 12; p++) {
            official[p] = logits[2 * p + 1] + sims[p];
        }
        double max = 0;
        for (int j = 0; j < 4; j++) {
            Run r = blip("search", "--index", index.toString(), "--model", model, "--text", captions.get(j), "--k",
                    "3", "--rerank", "3", "--dtype", "float16", "--json");
            assertEquals(0, r.code(), r.err());
            for (JsonElement e : r.json().getAsJsonArray()) {
                JsonObject row = e.getAsJsonObject();
                String name = Path.of(row.get("path").getAsString()).getFileName().toString();
                int i = name.charAt("image".length()) - '0';
                max = Math.max(max, close("t2i " + j + "," + i, official[i * 4 + j], row.get("score").getAsDouble(),
                        STATE_TOLERANCE));
            }
            assertRankedBest(r.json().getAsJsonArray(), official, j);
        }
        Path texts = dir.resolve("texts.txt");
        Files.writeString(texts, String.join("\n", captions) + "\n");
        for (int i = 0; i < 3; i++) {
            Run r = blip("search", "--index", index.toString(), "--model", model, "--image", image(i), "--texts",
                    texts.toString(), "--k", "4", "--rerank", "4", "--dtype", "float16", "--json");
            assertEquals(0, r.code(), r.err());
            for (JsonElement e : r.json().getAsJsonArray()) {
                JsonObject row = e.getAsJsonObject();
                int j = captions.indexOf(row.get("text").getAsString());
                max = Math.max(max, close("i2t " + i + "," + j, official[i * 4 + j], row.get("score").getAsDouble(),
                        STATE_TOLERANCE));
            }
        }
        System.out.printf("blip search --dtype float16: re-ranked scores max |err| %.3g vs the goldens%n", max);
    }

    /** The first hit is the golden's best image for text {@code j}. */
    private static void assertRankedBest(JsonArray rows, float[] official, int j) {
        int best = 0;
        for (int i = 1; i < 3; i++) {
            best = official[i * 4 + j] > official[best * 4 + j] ? i : best;
        }
        assertTrue(rows.get(0).getAsJsonObject().get("path").getAsString().endsWith("image" + best + ".png"),
                "text " + j + ": " + rows);
    }

    @Test
    void vqaGeneratesAndRanks() throws IOException {
        JsonObject results = VqaCommandTest.expected().getAsJsonObject("results");
        float[] scores = VqaCommandTest.goldenTensor("generate.sequence_scores");
        double max = 0;
        for (int i = 0; i < 3; i++) {
            Run r = blip(VqaCommandTest.args("hf", i, "--dtype", "float16", "--json").toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonObject row = r.json().getAsJsonArray().get(i).getAsJsonObject();
            assertEquals(results.getAsJsonObject("generate").getAsJsonArray("answers").get(i).getAsString(),
                    row.get("answer").getAsString(), "image " + i);
            max = Math.max(max, close("generate score " + i, scores[i], row.get("score").getAsDouble(), STATE_TOLERANCE));
        }
        Path list = dir.resolve("answer_list.json");
        Files.writeString(list, results.getAsJsonObject("rank").getAsJsonArray("answer_list").toString());
        for (int i = 0; i < 3; i++) {
            Run r = blip(VqaCommandTest.args("hf", i, "--answers", list.toString(), "--k", "4", "--dtype", "float16",
                    "--json").toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonObject row = r.json().getAsJsonArray().get(i).getAsJsonObject();
            assertEquals(results.getAsJsonObject("rank").getAsJsonArray("answers").get(i).getAsString(),
                    row.getAsJsonArray("answers").get(0).getAsJsonObject().get("answer").getAsString(), "image " + i);
        }
        System.out.printf("blip vqa --dtype float16: generate scores max |err| %.3g vs the goldens%n", max);
    }

    @Test
    void capfilt() throws IOException {
        Path out = dir.resolve("out");
        List<String> args = CapFiltCommandTest.args(CapFiltCommandTest.pairs(dir), out, "--dtype", "float16");
        Run r = blip(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        double max = CapFiltCommandTest.assertWebRowsAsTheGoldens(out, UNIT_TOLERANCE);
        System.out.printf("blip capfilt --dtype float16: web itm max |err| %.3g vs the goldens%n", max);
    }

    private static double close(String what, double want, double got, double tolerance) {
        double err = Math.abs(want - got);
        assertTrue(err <= tolerance, what + ": float32 golden " + want + ", float16 " + got);
        return err;
    }

    private static double closeAll(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what);
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, close(what + "[" + i + "]", want[i], got[i], STATE_TOLERANCE));
        }
        return max;
    }
}
