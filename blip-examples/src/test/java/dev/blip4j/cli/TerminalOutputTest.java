package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.checkpoint.TorchCheckpoint;
import dev.blip4j.models.checkpoint.TorchCheckpointWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text from files reaches the terminal escaped: a tensor name, a manifest's path or a file name can
 * neither drive the terminal (retitle it, clear a line, forge an {@code error:} line) nor split one
 * line of plain output in two.
 */
class TerminalOutputTest {

    /** Sets the window title, clears the line, and prints a forged error. */
    private static final String ATTACK = "x\u001b]0;owned\u0007\u001b[2Kerror: fake";
    private static final String ESCAPED = "x\\x1b]0;owned\\x07\\x1b[2Kerror: fake";

    @TempDir
    Path dir;

    @Test
    void aTensorNameIsEscapedInTheError() throws IOException {
        Path original = CliRun.golden("caption/original");
        Map<String, TensorData> tensors = new LinkedHashMap<>(TorchCheckpoint.read(original.resolve("model.pth")).tensors());
        tensors.put(ATTACK, TensorData.ofFloats(new long[] {1}, new float[] {0}));
        Path folder = Files.createDirectories(dir.resolve("model"));
        for (String config : List.of("blip_config.json", "med_config.json")) {
            Files.copy(original.resolve(config), folder.resolve(config));
        }
        TorchCheckpointWriter.write(folder.resolve("model.pth"), tensors);

        CliRun run = CliRun.of("inspect", "--model", folder.resolve("model.pth").toString());
        assertEquals(3, run.exit(), run.toString());
        assertEquals(1, run.errLines().size(), run.toString());
        assertTrue(run.errLines().get(0).contains("1 unexpected tensor(s) for this architecture: " + ESCAPED), run.toString());
        assertNoControls(run.err());
    }

    @Test
    void aFileNameWithALineBreakStaysOnItsLine() throws IOException {
        Path image = Files.copy(CliRun.golden("images/image0.png"), dir.resolve("a\nerror: fake" + ATTACK + ".png"));
        CliRun run = CliRun.of("caption", "--model", CliRun.golden("caption/hf").toString(), "--greedy", image.toString());
        assertEquals(0, run.exit(), run.toString());
        List<String> lines = run.out().lines().toList();
        assertEquals(List.of("image\tcaption"), lines.subList(0, 1), run.toString());
        assertEquals(2, lines.size(), "the header and one row:\n" + run);
        assertTrue(lines.get(1).startsWith(dir + "/a\\nerror: fake" + ESCAPED + ".png\t"), lines.get(1));
        assertNoControls(run.out());
    }

    @Test
    void aTamperedManifestPathIsEscapedInSearchResults() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("images"));
        Files.copy(CliRun.golden("images/image1.png"), folder.resolve("cat.png"));
        Path index = dir.resolve("index");
        String model = CliRun.golden("itm/hf").toString();
        CliRun built = CliRun.of("index", "--model", model, "--images", folder.toString(), "--out", index.toString());
        assertEquals(0, built.exit(), built.toString());
        Path manifest = index.resolve("manifest.json");
        JsonObject o = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
        o.getAsJsonArray("images").get(0).getAsJsonObject().addProperty("path", ATTACK + "\n2\t0.9\t0.9\t-\tforged.png");
        Files.writeString(manifest, o.toString(), StandardCharsets.UTF_8);

        CliRun run = CliRun.of("search", "--index", index.toString(), "--model", model, "--text", "a cat");
        assertEquals(0, run.exit(), run.toString());
        List<String> lines = run.out().lines().toList();
        assertEquals(2, lines.size(), "the header and one row:\n" + run);
        assertTrue(lines.get(1).endsWith("\t" + ESCAPED + "\\n2\\t0.9\\t0.9\\t-\\tforged.png"), lines.get(1));
        assertNoControls(run.out());
    }

    private static void assertNoControls(String text) {
        assertFalse(text.chars().anyMatch(c -> c == 0x1b || c == 0x07), "raw control characters in: " + text);
    }
}
