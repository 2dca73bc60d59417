package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.SafeTensorsFile;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.retrieval.GalleryIndex;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.retrieval.SearchHit;
import dev.blip4j.models.retrieval.SearchOptions;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blip itm}, {@code features}, {@code index}, {@code search} run in-process against the golden models. */
class MatchingCliTest {

    static final Path GOLDEN = Path.of(System.getProperty("blip.testResources")).resolve("golden");
    static final String VOCAB = GOLDEN.resolve("tokenizer/vocab.txt").toString();

    record Run(int code, String out, String err) {
        JsonElement json() {
            return JsonParser.parseString(out);
        }
    }

    static Run blip(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BlipCli.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    static List<String> captions() throws IOException {
        JsonObject manifest = JsonParser.parseString(Files.readString(GOLDEN.resolve("manifest.json"))).getAsJsonObject();
        List<String> out = new ArrayList<>();
        manifest.getAsJsonObject("texts").getAsJsonArray("captions").forEach(e -> out.add(e.getAsString()));
        return out;
    }

    static String image(int i) {
        return GOLDEN.resolve("images/image" + i + ".png").toString();
    }

    /** Golden float tensor of a kind. */
    static float[] golden(String kind, String name) {
        return SafeTensors.read(GOLDEN.resolve(kind + "/expected.safetensors")).tensors().get(name).toFloatArray();
    }

    @Test
    void itmJsonEqualsTheGoldens() throws IOException {
        List<String> captions = captions();
        for (String[] model : List.of(new String[] {GOLDEN.resolve("itm/hf").toString()},
                new String[] {GOLDEN.resolve("itm/original/model.pth").toString(), "--tokenizer", VOCAB})) {
            for (int i = 0; i < 3; i++) {
                List<String> args = new ArrayList<>(List.of("itm", "--model"));
                args.addAll(List.of(model));
                args.addAll(List.of("--image", image(i), "--json"));
                captions.forEach(c -> args.addAll(List.of("--text", c)));
                Run r = blip(args.toArray(String[]::new));
                assertEquals(0, r.code(), r.err());
                assertRow(r.json().getAsJsonArray(), captions, i, golden("itm", "itm_probs"), golden("itm", "itc_sim"));
            }
        }
        // --first-token enc reproduces the retrieval evaluation's ITM on the retrieval model
        List<String> args = new ArrayList<>(List.of("itm", "--model", GOLDEN.resolve("retrieval/hf").toString(),
                "--image", image(2), "--first-token", "enc", "--json"));
        captions.forEach(c -> args.addAll(List.of("--text", c)));
        Run r = blip(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertRow(r.json().getAsJsonArray(), captions, 2, golden("retrieval", "itm_probs"), golden("retrieval", "itc_sim"));
    }

    private static void assertRow(JsonArray rows, List<String> captions, int image, float[] probs, float[] sims) {
        assertEquals(4, rows.size());
        for (int j = 0; j < 4; j++) {
            JsonObject row = rows.get(j).getAsJsonObject();
            assertEquals(captions.get(j), row.get("text").getAsString());
            assertEquals(probs[image * 4 + j], row.get("itm").getAsDouble(), 1e-5);
            assertEquals(sims[image * 4 + j], row.get("itc").getAsDouble(), 1e-5);
        }
    }

    @Test
    void featuresFileHoldsTheOfficialTensors(@TempDir Path tmp) throws IOException {
        String model = GOLDEN.resolve("feature_extractor/hf").toString();
        Path file = tmp.resolve("image.safetensors");
        Run r = blip("features", "--model", model, "--image", image(0), "--image", image(1), "--image", image(2),
                "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        SafeTensorsFile f = SafeTensors.read(file);
        assertClose(golden("feature_extractor", "image_embeds"), f.tensors().get("image_embeds"), 1e-4);
        assertEquals("image", f.metadata().get("mode"));
        assertTrue(f.metadata().get("model").contains("\"sha256\""), f.metadata().toString());

        List<String> captions = captions();
        file = tmp.resolve("text.safetensors");
        List<String> args = new ArrayList<>(List.of("features", "--model", model, "--out", file.toString()));
        captions.forEach(c -> args.addAll(List.of("--text", c)));
        assertEquals(0, blip(args.toArray(String[]::new)).code());
        f = SafeTensors.read(file);
        for (int j = 0; j < 4; j++) {
            assertClose(golden("feature_extractor", "text_embeds." + j), f.tensors().get("text_embeds." + j), 1e-4);
        }

        file = tmp.resolve("multimodal.safetensors");
        List<String> both = new ArrayList<>(List.of("features", "--model", model, "--image", image(1), "--mode",
                "multimodal", "--out", file.toString(), "--json"));
        captions.forEach(c -> both.addAll(List.of("--text", c)));
        r = blip(both.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertEquals("multimodal", r.json().getAsJsonObject().get("mode").getAsString());
        f = SafeTensors.read(file);
        for (int j = 0; j < 4; j++) {
            assertClose(golden("feature_extractor", "multimodal_embeds.1." + j),
                    f.tensors().get("multimodal_embeds.0." + j), 1e-4);
            assertEquals(303L, f.tensors().get("input_ids." + j).toLongArray()[0]);
        }

        // with projections: image_feat is the ITC feature
        file = tmp.resolve("itm.safetensors");
        assertEquals(0, blip("features", "--model", GOLDEN.resolve("itm/hf").toString(), "--image", image(0), "--image",
                image(1), "--image", image(2), "--out", file.toString()).code());
        f = SafeTensors.read(file);
        assertClose(golden("itm", "image_feat"), f.tensors().get("image_feat"), 1e-5);
        assertEquals(List.of(3L, 17L, 16L), java.util.Arrays.stream(f.tensors().get("image_embeds_proj").shape())
                .boxed().toList());
    }

    @Test
    void indexAndSearchRoundTrip(@TempDir Path tmp) throws IOException {
        Path folder = tmp.resolve("photos");
        Random random = new Random(3);
        for (int i = 0; i < 12; i++) {
            writePng(folder.resolve((i % 2 == 0 ? "a/" : "b/c/") + "p" + i + ".png"), random);
        }
        Files.writeString(folder.resolve("broken.png"), "not an image");
        Path index = tmp.resolve("index");
        String model = GOLDEN.resolve("retrieval/hf").toString();

        Run built = blip("index", "--model", model, "--images", folder.toString(), "--out", index.toString(),
                "--batch-size", "4", "--json");
        assertEquals(BlipCli.EXIT_INPUT, built.code(), "an unreadable image gives exit 4 at the end");
        JsonObject report = built.json().getAsJsonObject();
        assertEquals(12, report.get("images").getAsInt());
        assertEquals(12, report.get("added").getAsInt());
        assertEquals(1, report.getAsJsonArray("failed").size());
        assertTrue(report.getAsJsonArray("failed").get(0).getAsJsonObject().get("image").getAsString()
                .endsWith("broken.png"));
        assertTrue(built.err().contains("13/13"), "progress bar on stderr: " + built.err());

        Files.delete(folder.resolve("broken.png"));
        Run again = blip("index", "--model", model, "--images", folder.toString(), "--out", index.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("12 images (12 reused, 0 added, 0 removed, 0 failed)"), again.out());

        Run search = blip("search", "--index", index.toString(), "--model", model, "--text", "a cat", "--k", "5",
                "--rerank", "3", "--json");
        assertEquals(0, search.code(), search.err());
        JsonArray rows = search.json().getAsJsonArray();
        assertEquals(5, rows.size());
        try (BlipModel m = BlipModel.load(Path.of(model))) {
            List<SearchHit> want = new ImageRetriever(m, GalleryIndex.open(index))
                    .search("a cat", SearchOptions.defaults().withK(5).withRerank(3)).hits();
            for (int r = 0; r < 5; r++) {
                JsonObject row = rows.get(r).getAsJsonObject();
                assertEquals(List.of("rank", "path", "score", "itc", "itm", "itm_logit"), List.copyOf(row.keySet()));
                assertEquals(r + 1, row.get("rank").getAsInt());
                assertEquals(want.get(r).path(), row.get("path").getAsString());
                assertEquals(want.get(r).score(), row.get("score").getAsDouble(), 1e-9);
                assertEquals(r < 3, !row.get("itm").isJsonNull(), "re-ranked rows carry itm, the others null");
            }
        }

        Path texts = tmp.resolve("texts.txt");
        Files.writeString(texts, String.join("\n", captions()) + "\n\n");
        Run i2t = blip("search", "--index", index.toString(), "--model", model, "--image", image(0), "--texts",
                texts.toString(), "--k", "4", "--rerank", "2", "--json");
        assertEquals(0, i2t.code(), i2t.err());
        JsonArray hits = i2t.json().getAsJsonArray();
        assertEquals(4, hits.size());
        float[] i2tGolden = golden("retrieval", "score_matrix_i2t");
        for (JsonElement e : hits) {
            JsonObject row = e.getAsJsonObject();
            assertTrue(row.get("path").isJsonNull());
            int j = captions().indexOf(row.get("text").getAsString());
            if (!row.get("itm").isJsonNull()) {
                assertEquals(i2tGolden[j], row.get("score").getAsDouble(), 1e-4, "official i2t score of text " + j);
            }
        }

        String first = rows.get(0).getAsJsonObject().get("path").getAsString();
        Run similar = blip("search", "--index", index.toString(), "--model", model, "--image", first, "--k", "1");
        assertEquals(0, similar.code(), similar.err());
        assertTrue(similar.out().startsWith("rank\tscore\titc\titm\tpath\n1\t1.0000"), similar.out());

        // a re-ranked image that vanished: reported, the rest still searched, exit 4
        Files.delete(Path.of(first));
        Run missing = blip("search", "--index", index.toString(), "--model", model, "--text", "a cat", "--k", "5",
                "--rerank", "3", "--json");
        assertEquals(BlipCli.EXIT_INPUT, missing.code());
        assertEquals(5, missing.json().getAsJsonArray().size());
        assertTrue(missing.err().startsWith("error: ") && missing.err().contains(first), missing.err());
    }

    @Test
    void badInputsGiveExitCodesAndOneLineErrors(@TempDir Path tmp) throws IOException {
        String itm = GOLDEN.resolve("itm/hf").toString();
        assertOneLineError(blip("itm", "--model", tmp.resolve("nope").toString(), "--image", image(0), "--text", "a"),
                BlipCli.EXIT_MODEL, "nope");
        assertOneLineError(blip("itm", "--model", itm, "--image", tmp.resolve("none.png").toString(), "--text", "a"),
                BlipCli.EXIT_INPUT, "none.png");
        assertOneLineError(blip("itm", "--model", GOLDEN.resolve("caption/hf").toString(), "--image", image(0), "--text",
                "a"), BlipCli.EXIT_MODEL, "text encoder");
        assertEquals(BlipCli.EXIT_USAGE, blip("itm", "--model", itm, "--image", image(0), "--text", "a",
                "--first-token", "sep").code());

        assertOneLineError(blip("features", "--model", itm, "--image", image(0), "--mode", "multimodal", "--out",
                tmp.resolve("f.safetensors").toString()), BlipCli.EXIT_INPUT, "--mode multimodal needs both");
        assertFalse(Files.exists(tmp.resolve("f.safetensors")));

        assertOneLineError(blip("search", "--index", tmp.resolve("missing").toString(), "--model", itm, "--text", "a"),
                BlipCli.EXIT_INPUT, "not a gallery index");

        Path folder = tmp.resolve("photos");
        writePng(folder.resolve("one.png"), new Random(1));
        Path index = tmp.resolve("index");
        String retrieval = GOLDEN.resolve("retrieval/hf").toString();
        assertEquals(0, blip("index", "--model", retrieval, "--images", folder.toString(), "--out", index.toString()).code());
        Run other = blip("search", "--index", index.toString(), "--model", itm, "--text", "a");
        assertOneLineError(other, BlipCli.EXIT_INPUT, "retrieval/hf/model.safetensors");
        assertTrue(other.err().contains("built with model"), other.err());
        assertOneLineError(blip("index", "--model", itm, "--images", folder.toString(), "--out", index.toString()),
                BlipCli.EXIT_INPUT, "built with model");
    }

    private static void assertOneLineError(Run r, int code, String mention) {
        assertEquals(code, r.code(), r.err());
        String err = r.err().strip();
        assertTrue(err.startsWith("error: "), err);
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.contains(mention), err);
    }

    private static void assertClose(float[] want, TensorData got, double atol) {
        float[] values = got.toFloatArray();
        assertEquals(want.length, values.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], values[i], atol + 1e-4 * Math.abs(want[i]), "element " + i);
        }
    }

    private static void writePng(Path file, Random random) throws IOException {
        BufferedImage image = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(random.nextInt(0x1000000)));
        g.fillRect(0, 0, 40, 40);
        g.setColor(new Color(random.nextInt(0x1000000)));
        g.fillOval(random.nextInt(20), random.nextInt(20), 10 + random.nextInt(20), 10 + random.nextInt(20));
        g.dispose();
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
    }
}
