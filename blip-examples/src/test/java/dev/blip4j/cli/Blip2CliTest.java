package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip inspect}, {@code itm}, {@code features}, {@code index}, {@code search} and {@code convert}
 * with the BLIP-2 golden model (LAVIS layout), against LAVIS's tensors at their tolerances.
 */
class Blip2CliTest {

    static final Path DIR = CliRun.golden("blip2");
    static final String MODEL = DIR.resolve("original/model.pth").toString();
    static final String VOCAB = CliRun.golden("tokenizer/vocab.txt").toString();

    @TempDir
    Path tmp;

    static JsonObject expected() throws IOException {
        return JsonParser.parseString(Files.readString(DIR.resolve("expected.json"))).getAsJsonObject();
    }

    static float[] golden(String name) {
        return SafeTensors.read(DIR.resolve("expected.safetensors")).tensors().get(name).toFloatArray();
    }

    static List<String> captions() throws IOException {
        List<String> out = new ArrayList<>();
        expected().getAsJsonObject("texts").getAsJsonArray("captions").forEach(e -> out.add(e.getAsString()));
        return out;
    }

    static String image(int i) {
        return CliRun.golden("images/image" + i + ".png").toString();
    }

    /** |got - want| <= atol + rtol |want| with the tolerance LAVIS's golden gives {@code toleranceOf}. */
    static void assertClose(String toleranceOf, float[] want, float[] got) throws IOException {
        JsonObject tol = expected().getAsJsonObject("tensors").getAsJsonObject(toleranceOf).getAsJsonObject("tolerance");
        double atol = tol.get("atol").getAsDouble();
        double rtol = tol.get("rtol").getAsDouble();
        assertEquals(want.length, got.length, toleranceOf + " size");
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            assertTrue(err <= atol + rtol * Math.abs(want[i]), toleranceOf + "[" + i + "]: " + want[i] + " vs " + got[i]);
            max = Math.max(max, err);
        }
        System.out.printf("golden blip2/%s through the CLI: max abs error %.3g%n", toleranceOf, max);
    }

    private static List<String> withModel(String command, String... rest) {
        List<String> args = new ArrayList<>(List.of(command, "--model", MODEL, "--tokenizer", VOCAB));
        args.addAll(List.of(rest));
        return args;
    }

    @Test
    void inspectReportsBlip2() {
        CliRun r = CliRun.of(withModel("inspect", "--json"));
        assertEquals(0, r.exit(), r.toString());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("blip2", o.get("kind").getAsString());
        JsonObject q = o.getAsJsonObject("qformer");
        assertEquals(4, q.get("queries").getAsInt());
        assertEquals("[0,2]", q.get("cross_attention_layers").toString());
        assertEquals(4, q.get("layers").getAsInt());
        JsonObject v = o.getAsJsonObject("vision");
        assertEquals(48, v.get("width").getAsInt());
        assertEquals(209, v.get("mlp_width").getAsInt());
        assertEquals(1e-5, v.get("ln_vision_eps").getAsDouble(), 1e-12);
    }

    @Test
    void itmJsonIsBlip2ItmAndItcForEveryPair() throws IOException {
        List<String> captions = captions();
        float[] itm = new float[12];
        float[] itc = new float[12];
        for (int i = 0; i < 3; i++) {
            List<String> args = withModel("itm", "--image", image(i), "--json");
            captions.forEach(c -> args.addAll(List.of("--text", c)));
            CliRun r = CliRun.of(args);
            assertEquals(0, r.exit(), r.toString());
            JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
            for (int j = 0; j < 4; j++) {
                JsonObject row = rows.get(j).getAsJsonObject();
                assertEquals(captions.get(j), row.get("text").getAsString());
                itm[i * 4 + j] = row.get("itm").getAsFloat();
                itc[i * 4 + j] = row.get("itc").getAsFloat();
            }
        }
        assertClose("itm_probs", golden("itm_probs"), itm);
        assertClose("itc_sim", golden("itc_sim"), itc);
    }

    @Test
    void featuresWriteTheGoldenNames() throws IOException {
        List<String> captions = captions();
        Path images = tmp.resolve("image.safetensors");
        CliRun r = CliRun.of(withModel("features", "--image", image(0), "--image", image(1), "--image", image(2),
                "--out", images.toString()));
        assertEquals(0, r.exit(), r.toString());
        Map<String, TensorData> t = SafeTensors.read(images).tensors();
        assertArrayEquals(new long[] {3, 4, 32}, t.get("query_embeds").shape());
        assertClose("image_embeds", golden("image_embeds"), t.get("image_embeds").toFloatArray());
        assertClose("query_embeds", golden("query_embeds"), t.get("query_embeds").toFloatArray());
        assertClose("query_feats", golden("query_feats"), t.get("query_feats").toFloatArray());

        Path texts = tmp.resolve("text.safetensors");
        List<String> args = withModel("features", "--out", texts.toString());
        captions.forEach(c -> args.addAll(List.of("--text", c)));
        assertEquals(0, CliRun.of(args).exit());
        t = SafeTensors.read(texts).tensors();
        assertArrayEquals(new long[] {4, 19, 32}, t.get("text_embeds").shape());
        assertClose("text_embeds", golden("text_embeds"), t.get("text_embeds").toFloatArray());
        assertClose("text_feats", golden("text_feats"), t.get("text_feats").toFloatArray());

        Path multimodal = tmp.resolve("multimodal.safetensors");
        List<String> both = withModel("features", "--image", image(0), "--image", image(1), "--image", image(2),
                "--out", multimodal.toString());
        captions.forEach(c -> both.addAll(List.of("--text", c)));
        assertEquals(0, CliRun.of(both).exit());
        t = SafeTensors.read(multimodal).tensors();
        assertArrayEquals(new long[] {3, 4, 4, 32}, t.get("multimodal_embeds").shape());
        assertClose("multimodal_embeds", golden("multimodal_embeds"), t.get("multimodal_embeds").toFloatArray());
    }

    @Test
    void indexAndSearchUseQueryMaxItcAndRerankByItm() throws IOException {
        List<String> captions = captions();
        Path index = tmp.resolve("index");
        CliRun built = CliRun.of(withModel("index", "--out", index.toString(), "--images",
                CliRun.golden("images").toString()));
        assertEquals(0, built.exit(), built.toString());
        float[] itc = golden("itc_sim");
        float[] logits = golden("itm_logits");
        for (int j = 0; j < 4; j++) {
            for (int rerank : new int[] {0, 3}) {
                CliRun r = CliRun.of(withModel("search", "--index", index.toString(), "--text", captions.get(j),
                        "--k", "3", "--rerank", String.valueOf(rerank), "--json"));
                assertEquals(0, r.exit(), r.toString());
                JsonArray hits = JsonParser.parseString(r.out()).getAsJsonArray();
                assertEquals(3, hits.size());
                float[] want = new float[3];
                float[] got = new float[3];
                for (int h = 0; h < 3; h++) {
                    JsonObject hit = hits.get(h).getAsJsonObject();
                    String name = Path.of(hit.get("path").getAsString()).getFileName().toString();
                    int i = Integer.parseInt(name.substring("image".length(), name.indexOf('.')));
                    want[h] = rerank == 0 ? itc[i * 4 + j] : logits[(i * 4 + j) * 2 + 1] + itc[i * 4 + j];
                    got[h] = hit.get("score").getAsFloat();
                }
                assertClose(rerank == 0 ? "itc_sim" : "itm_logits", want, got);
                assertTrue(got[0] >= got[1] && got[1] >= got[2], "best first: " + r.out());
            }
        }
    }

    /** LAVIS -> HF -> load: the same numbers, bit for bit, from the converted directory. */
    @Test
    void convertedDirectoryScoresBitIdentically() throws IOException {
        Path out = tmp.resolve("hf");
        CliRun c = CliRun.of("convert", "--checkpoint", MODEL, "--tokenizer", VOCAB, "--out", out.toString(), "--json");
        assertEquals(0, c.exit(), c.toString());
        JsonElement report = JsonParser.parseString(c.out());
        assertEquals("blip2", report.getAsJsonObject().get("kind").getAsString());
        List<String> captions = captions();
        List<String> lavis = withModel("itm", "--image", image(2), "--json");
        List<String> hf = new ArrayList<>(List.of("itm", "--model", out.toString(), "--image", image(2), "--json"));
        captions.forEach(t -> {
            lavis.addAll(List.of("--text", t));
            hf.addAll(List.of("--text", t));
        });
        CliRun a = CliRun.of(lavis);
        CliRun b = CliRun.of(hf);
        assertEquals(0, b.exit(), b.toString());
        assertEquals(a.out(), b.out());
    }
}
