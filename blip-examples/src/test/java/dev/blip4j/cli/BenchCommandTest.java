package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blip bench} runs end to end on a tiny random model, and the random checkpoint it can write
 * holds the very weights it benchmarks: captioning the written {@code .pth} gives the same tokens.
 */
class BenchCommandTest {

    private record Run(int exit, String out, String err) {}

    private static Run blip(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BlipCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void benchReportsEveryTaskAndTheWrittenCheckpointCaptionsAlike(@TempDir Path dir) throws Exception {
        Run bench = blip("bench", "--random", "tiny", "--tasks", "encode-image,encode-text,itm,caption,caption-reference,caption-hf,vqa",
                "--images", "2", "--batch-sizes", "1", "--warmup", "0", "--iterations", "1", "--json");
        assertEquals(0, bench.exit(), bench.err());
        JsonObject report = JsonParser.parseString(bench.out()).getAsJsonObject();
        assertTrue(report.get("matmul_peak_gflops").getAsDouble() > 0);
        JsonArray tasks = report.getAsJsonArray("tasks");
        assertEquals(7, tasks.size(), bench.out());
        JsonArray captionIds = null;
        JsonArray referenceIds = null;
        JsonArray transformersIds = null;
        for (var t : tasks) {
            JsonObject task = t.getAsJsonObject();
            assertTrue(task.get("throughput").getAsDouble() > 0, task.toString());
            assertTrue(task.getAsJsonObject("latency_ms").get("median").getAsDouble() > 0);
            assertTrue(task.getAsJsonObject("memory").get("peak_rss_mb").getAsDouble() > 0);
            if (task.get("task").getAsString().equals("encode-image")) {
                // patch embedding 16*48*768, then per block 4*17*48^2 + 2*17^2*48 + 2*17*48*192
                assertEquals(1_585_344, task.get("macs_per_image").getAsLong(), "tiny ViT: 2 blocks of 17 tokens");
            }
            assertTrue(task.has("limit_s") && task.get("ratio_to_limit").getAsDouble() > 0,
                    task.toString());
            if (task.get("task").getAsString().equals("caption-reference")) {
                referenceIds = task.getAsJsonArray("token_ids").get(0).getAsJsonArray();
            }
            if (task.get("task").getAsString().equals("caption-hf")) {
                transformersIds = task.getAsJsonArray("token_ids").get(0).getAsJsonArray();
            }
            if (task.get("task").getAsString().equals("caption")) {
                captionIds = task.getAsJsonArray("token_ids").get(0).getAsJsonArray();
                assertEquals(30522, captionIds.get(0).getAsLong(), "captions start with [DEC]");
                assertEquals(captionIds.size() - 4, task.get("tokens_generated").getAsInt());
            }
        }
        assertEquals(captionIds, referenceIds, "the official decoding structure computes the same caption");
        assertEquals(captionIds, transformersIds, "transformers' decoding structure computes the same caption");

        Path pth = dir.resolve("random-tiny.pth");
        Run write = blip("bench", "--write-random", "tiny", "--kind", "caption", "--out", pth.toString());
        assertEquals(0, write.exit(), write.err());
        assertTrue(Files.size(pth) > 1_000_000);
        assertTrue(Files.exists(dir.resolve("med_config.json")) && Files.exists(dir.resolve("blip_config.json")));
        var written = dev.blip4j.models.checkpoint.TorchCheckpoint.read(pth).tensors();
        assertEquals(63, written.get("text_decoder.bert.embeddings.position_ids").toLongArray()[63],
                "the official loaders assert that med.py's position_ids buffer is present");

        Path image = dir.resolve("image.png");
        javax.imageio.ImageIO.write(toBuffered(BenchCommand.syntheticImages(1).get(0)), "png", image.toFile());
        Run caption = blip("caption", "--model", pth.toString(), "--json", image.toString());
        assertEquals(0, caption.exit(), caption.err());
        JsonArray fromFile = JsonParser.parseString(caption.out()).getAsJsonArray().get(0).getAsJsonObject()
                .getAsJsonArray("token_ids");
        assertEquals(captionIds, fromFile, "the .pth holds the benchmarked weights");
    }

    /** {@code --random blip2} builds BLIP-2's first stage in memory; here its tiny size, the golden's shapes. */
    @Test
    void benchRunsABlip2FirstStage() {
        Run bench = blip("bench", "--random", "blip2-tiny", "--tasks", "encode-image,encode-text,itm,itm-itc,caption",
                "--images", "1", "--batch-sizes", "1", "--warmup", "0", "--iterations", "1", "--json");
        assertEquals(0, bench.exit(), bench.err());
        assertTrue(bench.err().contains("skipping caption: this checkpoint is BLIP-2's first stage"), bench.err());
        JsonObject report = JsonParser.parseString(bench.out()).getAsJsonObject();
        JsonArray tasks = report.getAsJsonArray("tasks");
        assertEquals(4, tasks.size(), bench.out());
        for (var t : tasks) {
            JsonObject task = t.getAsJsonObject();
            assertTrue(task.get("throughput").getAsDouble() > 0, task.toString());
            if (task.get("task").getAsString().equals("encode-image")) {
                // EVA's MLP is 209 wide here: 16*48*768 + 2 * (4*17*48^2 + 2*17^2*48 + 2*17*48*209)
                assertEquals(1_640_832, task.get("macs_per_image").getAsLong());
                assertTrue(task.get("ratio_to_flop_bound").getAsDouble() > 0);
            }
        }
    }

    private static java.awt.image.BufferedImage toBuffered(dev.blip4j.models.image.RgbImage rgb) {
        var img = new java.awt.image.BufferedImage(rgb.width(), rgb.height(), java.awt.image.BufferedImage.TYPE_INT_RGB);
        byte[] px = rgb.pixels();
        for (int y = 0; y < rgb.height(); y++) {
            for (int x = 0; x < rgb.width(); x++) {
                int i = (y * rgb.width() + x) * 3;
                img.setRGB(x, y, (px[i] & 0xff) << 16 | (px[i + 1] & 0xff) << 8 | (px[i + 2] & 0xff));
            }
        }
        return img;
    }

    @Test
    void serveBenchComparesServedCaptionsWithSingleCallsAndABatch() {
        Run bench = blip("bench", "--random", "tiny", "--serve", "--clients", "1,2", "--requests", "2", "--images", "2",
                "--greedy", "--json");
        assertEquals(0, bench.exit(), bench.err());
        JsonObject report = JsonParser.parseString(bench.out()).getAsJsonObject();
        JsonArray rows = report.getAsJsonArray("rows");
        assertEquals(4, rows.size(), bench.out());
        assertEquals("sequential single calls", rows.get(0).getAsJsonObject().get("mode").getAsString());
        assertEquals("offline batch 2", rows.get(1).getAsJsonObject().get("mode").getAsString());
        assertEquals("served, 2 clients", rows.get(3).getAsJsonObject().get("mode").getAsString());
        for (var r : rows) {
            JsonObject row = r.getAsJsonObject();
            assertTrue(row.get("captions_per_s").getAsDouble() > 0, row.toString());
            assertTrue(row.get("p95_ms").getAsDouble() >= row.get("p50_ms").getAsDouble(), row.toString());
        }
        assertEquals(1.0, rows.get(0).getAsJsonObject().get("vs_sequential").getAsDouble());
        assertEquals("2/2", report.get("offline_batch_token_ids_equal").getAsString());
        assertEquals("4/4", report.get("served_token_ids_equal").getAsString());
    }
}
