package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --jsonl} on the commands over many items that end in one report ({@code index},
 * {@code features}): one line per image (and per text) as it is done, with the names {@code --json}
 * uses, then the {@code --json} report itself on the last line.
 */
class JsonLinesTest {

    static final String RETRIEVAL = CliRun.golden("retrieval/hf").toString();

    static List<JsonObject> lines(CliRun r) {
        return r.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    }

    /** The three golden images and an undecodable {@code broken.png}, which sorts first. */
    static Path images(Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("images"));
        for (int i = 0; i < 3; i++) {
            Files.copy(CliRun.golden("images/image" + i + ".png"), dir.resolve("image" + i + ".png"));
        }
        Files.writeString(dir.resolve("broken.png"), "not a png");
        return dir;
    }

    @Test
    void indexPrintsALinePerImageThenTheJsonReport(@TempDir Path tmp) throws IOException {
        Path dir = images(tmp);
        String index = tmp.resolve("index").toString();
        CliRun first = CliRun.of("index", "--model", RETRIEVAL, "--out", index, "--jsonl", dir.toString());
        assertEquals(BlipCli.EXIT_INPUT, first.exit(), first.toString());
        List<JsonObject> rows = lines(first);
        assertEquals(5, rows.size(), first.out());

        CliRun json = CliRun.of("index", "--model", RETRIEVAL, "--out", tmp.resolve("other").toString(), "--json",
                dir.toString());
        assertEquals(BlipCli.EXIT_INPUT, json.exit(), json.toString());
        JsonObject report = JsonParser.parseString(json.out()).getAsJsonObject();
        JsonObject failed = report.getAsJsonArray("failed").get(0).getAsJsonObject();

        assertEquals(failed.get("image").getAsString(), rows.get(0).get("image").getAsString());
        assertEquals("failed", rows.get(0).get("status").getAsString());
        assertEquals(failed.get("error").getAsString(), rows.get(0).get("error").getAsString());
        for (int i = 0; i < 3; i++) {
            assertEquals(dir.resolve("image" + i + ".png").toString(), rows.get(i + 1).get("image").getAsString());
            assertEquals("added", rows.get(i + 1).get("status").getAsString());
        }
        JsonObject last = rows.get(4);
        assertEquals(index, last.get("index").getAsString());
        report.remove("index");
        last.remove("index");
        assertEquals(report, last, "the last line is --json's report");

        CliRun again = CliRun.of("index", "--model", RETRIEVAL, "--out", index, "--jsonl", dir.toString());
        List<JsonObject> reused = lines(again);
        assertEquals(5, reused.size(), again.out());
        for (int i = 0; i < 3; i++) {
            assertEquals(dir.resolve("image" + i + ".png").toString(), reused.get(i).get("image").getAsString());
            assertEquals("reused", reused.get(i).get("status").getAsString(), again.out());
        }
        assertEquals("failed", reused.get(3).get("status").getAsString(), "a failed image is retried");
        assertEquals(3, reused.get(4).get("reused").getAsInt());
        assertEquals(0, reused.get(4).get("added").getAsInt());
    }

    @Test
    void featuresPrintALinePerImageOrTextThenTheJsonReport(@TempDir Path tmp) {
        List<String> images = List.of(CliRun.golden("images/image0.png").toString(),
                CliRun.golden("images/image1.png").toString(), CliRun.golden("images/image2.png").toString());
        for (List<String> items : List.of(images, List.of("--text", "a dog", "--text", "a cat on a red mat"))) {
            List<String> args = new java.util.ArrayList<>(List.of("features", "--model", RETRIEVAL, "--batch-size", "2"));
            args.addAll(items);
            CliRun jsonl = CliRun.of(CliGrammarTest.concat(args, "--out", tmp.resolve("a.safetensors").toString(), "--jsonl"));
            assertEquals(0, jsonl.exit(), jsonl.toString());
            CliRun json = CliRun.of(CliGrammarTest.concat(args, "--out", tmp.resolve("b.safetensors").toString(), "--json"));
            JsonObject report = JsonParser.parseString(json.out()).getAsJsonObject();

            List<JsonObject> rows = lines(jsonl);
            boolean text = items.get(0).equals("--text");
            int count = text ? 2 : 3;
            assertEquals(count + 1, rows.size(), jsonl.out());
            for (int i = 0; i < count; i++) {
                JsonObject row = rows.get(i);
                assertEquals(text ? items.get(2 * i + 1) : images.get(i), row.get(text ? "text" : "image").getAsString());
                assertEquals(i, row.get("row").getAsInt());
            }
            JsonObject last = rows.get(count);
            assertEquals(tmp.resolve("a.safetensors").toString(), last.get("out").getAsString());
            assertEquals(text ? "text" : "image", last.get("mode").getAsString());
            assertEquals(report.get("tensors"), last.get("tensors"), "the last line is --json's report");
        }
    }

    @Test
    void featuresStreamImagesBeforeALaterOneFails(@TempDir Path tmp) throws IOException {
        Path dir = images(tmp);
        CliRun r = CliRun.of("features", "--model", RETRIEVAL, "--batch-size", "1", "--out",
                tmp.resolve("f.safetensors").toString(), "--jsonl", dir.resolve("image0.png").toString(),
                dir.resolve("image1.png").toString(), dir.resolve("broken.png").toString());
        assertEquals(BlipCli.EXIT_INPUT, r.exit(), r.toString());
        List<JsonObject> rows = lines(r);
        assertEquals(2, rows.size(), "the images done before the failure, and no report: " + r.out());
        assertEquals(dir.resolve("image1.png").toString(), rows.get(1).get("image").getAsString());
        assertTrue(r.err().contains("broken.png"), r.toString());
    }

    @Test
    void jsonAndJsonLinesTogetherAreRefused(@TempDir Path tmp) {
        CliRun r = CliRun.of("index", "--model", RETRIEVAL, "--out", tmp.resolve("index").toString(), "--json", "--jsonl",
                CliRun.golden("images").toString());
        CliRun.assertOneLineError(r, BlipCli.EXIT_USAGE, "--json and --jsonl are two formats: give one");
    }
}
