package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blip convert} and {@code --model}/{@code --offline} from the command line: output, JSON and exit codes. */
class ConvertCommandTest {

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run blip(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BlipCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private static Path golden() {
        return Path.of(System.getProperty("blip.testResources")).resolve("golden");
    }

    @Test
    void convertsAnOriginalCheckpointThatThenCaptionsLikeTheOfficialCode() {
        Path out = tmp.resolve("caption-hf");
        Run convert = blip("convert", "--checkpoint", golden().resolve("caption/original/model.pth").toString(),
                "--tokenizer", golden().resolve("tokenizer/vocab.txt").toString(), "--out", out.toString(), "--json");
        assertEquals(0, convert.code(), convert.err());
        JsonObject report = JsonParser.parseString(convert.out()).getAsJsonObject();
        assertEquals("caption", report.get("kind").getAsString());
        assertEquals("BlipForConditionalGeneration", report.getAsJsonArray("architectures").get(0).getAsString());
        assertEquals(92, report.get("tensors").getAsInt());
        assertEquals(64, report.get("image_size").getAsInt());

        Run caption = blip("caption", "--model", out.toString(), golden().resolve("images/image0.png").toString(), "--json");
        assertEquals(0, caption.code(), caption.err());
        JsonArray rows = JsonParser.parseString(caption.out()).getAsJsonArray();
        JsonObject expected = JsonParser.parseString(readGolden()).getAsJsonObject();
        String want = expected.getAsJsonObject("results").getAsJsonObject("beam").getAsJsonArray("captions").get(0)
                .getAsString();
        assertEquals(want, rows.get(0).getAsJsonObject().get("caption").getAsString());
    }

    private static String readGolden() {
        try {
            return java.nio.file.Files.readString(golden().resolve("caption/expected.json"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aKindTheCheckpointIsNotIsBadInput() {
        Run r = blip("convert", "--checkpoint", golden().resolve("caption/original/model.pth").toString(),
                "--tokenizer", golden().resolve("tokenizer/vocab.txt").toString(), "--kind", "vqa",
                "--out", tmp.resolve("x").toString());
        assertEquals(BlipCli.EXIT_INPUT, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("vqa"), r.err());
    }

    @Test
    void aMissingCheckpointIsAModelError() {
        Run r = blip("convert", "--checkpoint", tmp.resolve("nothing.pth").toString(), "--out", tmp.resolve("x").toString());
        assertEquals(BlipCli.EXIT_MODEL, r.code());
        assertTrue(r.err().contains("nothing.pth"), r.err());
    }

    @Test
    void anUncachedModelIdOfflineSaysSoWithoutTheNetwork() {
        Run r = blip("inspect", "--model", "blip4j-test/never-downloaded@v0", "--offline");
        assertEquals(BlipCli.EXIT_MODEL, r.code());
        assertTrue(r.err().contains("blip4j-test/never-downloaded") && r.err().contains("not in the hub cache")
                && r.err().contains("offline"), r.err());
    }
}
