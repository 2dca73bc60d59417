package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blip capfilt} in-process on the golden caption and matching models. */
class CapFiltCommandTest {

    static final Path GOLDEN = MatchingCliTest.GOLDEN;

    @TempDir
    Path dir;

    /** Every golden image with every golden caption: line 4 i + j + 1 is image i, caption j. */
    static Path pairs(Path dir) throws IOException {
        List<String> captions = MatchingCliTest.captions();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                JsonObject o = new JsonObject();
                o.addProperty("image", MatchingCliTest.image(i));
                o.addProperty("text", captions.get(j));
                o.addProperty("pair", i + "," + j);
                lines.add(o.toString());
            }
        }
        Path file = dir.resolve("pairs.jsonl");
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }

    static List<String> args(Path input, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("capfilt", "--captioner", GOLDEN.resolve("caption/hf").toString(),
                "--filter", GOLDEN.resolve("retrieval/hf").toString(), "--input", input.toString(), "--out",
                out.toString(), "--batch-size", "5"));
        a.addAll(List.of(more));
        return a;
    }

    static MatchingCliTest.Run blip(List<String> args) {
        return MatchingCliTest.blip(args.toArray(String[]::new));
    }

    @Test
    void webTextsScoreAsTheGoldensAndAResumedRunEqualsAWholeOne() throws IOException {
        Path input = pairs(dir);
        Path whole = dir.resolve("whole");
        MatchingCliTest.Run r = blip(args(input, whole, "--json"));
        assertEquals(0, r.code(), r.err());
        JsonObject summary = r.json().getAsJsonObject();
        assertTrue(summary.get("complete").getAsBoolean());
        assertEquals(12, summary.get("samples").getAsLong());
        assertEquals(12, summary.getAsJsonObject("web").get("in").getAsLong());
        assertEquals(12, summary.getAsJsonObject("synthetic").get("in").getAsLong());

        double max = assertWebRowsAsTheGoldens(whole, 1e-5);
        System.out.printf("blip capfilt: web itm max |err| vs retrieval/itm_probs %.3g%n", max);

        // interrupted by --stop-after, then the same command again
        Path resumed = dir.resolve("resumed");
        MatchingCliTest.Run first = blip(args(input, resumed, "--stop-after", "6"));
        assertEquals(0, first.code(), first.err());
        assertTrue(first.err().contains("stopped after 10 samples; run the same command again"), first.err());
        assertFalse(Files.exists(resumed.resolve("report.json")));
        MatchingCliTest.Run second = blip(args(input, resumed));
        assertEquals(0, second.code(), second.err());
        assertTrue(second.err().contains("continuing: 10 of 12 samples were done"), second.err());
        assertTrue(second.out().contains("web       12 in, 10 kept (83.3%), 2 removed, 0 errors"), second.out());
        for (String f : List.of("all.jsonl", "kept.jsonl", "report.json", "report.html")) {
            assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(resumed.resolve(f)), f);
        }
    }

    /**
     * The rows of a run over {@link #pairs} with one caption per sample: each web text's ITM within
     * {@code tolerance} of {@code retrieval/itm_probs} and kept as the golden says, then its caption.
     *
     * @return the largest ITM error
     */
    static double assertWebRowsAsTheGoldens(Path out, double tolerance) throws IOException {
        float[] probs = MatchingCliTest.golden("retrieval", "itm_probs");
        List<String> all = Files.readAllLines(out.resolve("all.jsonl"));
        assertEquals(24, all.size());
        double max = 0;
        for (int s = 0; s < 12; s++) {
            JsonObject web = JsonParser.parseString(all.get(2 * s)).getAsJsonObject();
            assertEquals("web", web.get("source").getAsString());
            assertEquals((s / 4) + "," + (s % 4), web.get("pair").getAsString());
            double err = Math.abs(web.get("itm").getAsDouble() - probs[s]);
            assertTrue(err <= tolerance, all.get(2 * s) + ": itm error " + err);
            max = Math.max(max, err);
            assertEquals(probs[s] >= 0.5, web.get("kept").getAsBoolean(), all.get(2 * s));
            assertEquals("synthetic", JsonParser.parseString(all.get(2 * s + 1)).getAsJsonObject().get("source")
                    .getAsString());
        }
        return max;
    }

    @Test
    void clsFirstTokenScoresAsBlipItm() throws IOException {
        Path input = pairs(dir);
        Path out = dir.resolve("cls");
        List<String> a = args(input, out, "--first-token", "cls", "--beams", "2", "--num-captions", "2");
        a.set(a.indexOf("--filter") + 1, GOLDEN.resolve("itm/original/model.pth").toString());
        a.addAll(List.of("--tokenizer", MatchingCliTest.VOCAB));
        MatchingCliTest.Run r = blip(a);
        assertEquals(0, r.code(), r.err());
        float[] probs = MatchingCliTest.golden("itm", "itm_probs");
        List<String> all = Files.readAllLines(out.resolve("all.jsonl"));
        assertEquals(36, all.size());
        for (int s = 0; s < 12; s++) {
            JsonObject web = JsonParser.parseString(all.get(3 * s)).getAsJsonObject();
            assertEquals(probs[s], web.get("itm").getAsDouble(), 1e-5, all.get(3 * s));
            assertEquals(probs[s] >= 0.5, web.get("kept").getAsBoolean());
            // beam search: the two best beams, different texts
            String b1 = JsonParser.parseString(all.get(3 * s + 1)).getAsJsonObject().get("text").getAsString();
            String b2 = JsonParser.parseString(all.get(3 * s + 2)).getAsJsonObject().get("text").getAsString();
            assertFalse(b1.equals(b2), b1);
        }
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
        JsonObject options = report.getAsJsonObject("run").getAsJsonObject("options");
        assertEquals("beam", options.get("decoding").getAsString());
        assertEquals("cls", options.get("first_token").getAsString());
    }

    @Test
    void badOptionsAndInputs() throws IOException {
        Path input = pairs(dir);
        MatchingCliTest.Run token = blip(args(input, dir.resolve("o1"), "--first-token", "sep"));
        assertEquals(BlipCli.EXIT_USAGE, token.code());
        assertTrue(token.err().contains("--first-token must be enc or cls, got sep"), token.err());
        MatchingCliTest.Run threshold = blip(args(input, dir.resolve("o2"), "--threshold", "1.5"));
        assertEquals(BlipCli.EXIT_USAGE, threshold.code());
        assertTrue(threshold.err().contains("threshold is an ITM probability and must be in [0, 1], got 1.5"),
                threshold.err());
        MatchingCliTest.Run beams = blip(args(input, dir.resolve("o3"), "--beams", "2", "--num-captions", "3"));
        assertEquals(BlipCli.EXIT_USAGE, beams.code());
        assertTrue(beams.err().contains("ask for at most 2 captions"), beams.err());
        MatchingCliTest.Run missing = blip(args(dir.resolve("nothing.jsonl"), dir.resolve("o4")));
        assertEquals(BlipCli.EXIT_INPUT, missing.code());
        assertTrue(missing.err().contains("nothing.jsonl: no such file or folder"), missing.err());
        List<String> wrongModel = args(input, dir.resolve("o5"));
        wrongModel.set(wrongModel.indexOf("--filter") + 1, GOLDEN.resolve("caption/hf").toString());
        MatchingCliTest.Run model = blip(wrongModel);
        assertEquals(BlipCli.EXIT_MODEL, model.code());
        assertTrue(model.err().contains("needs a text encoder"), model.err());
        MatchingCliTest.Run help = blip(List.of("capfilt", "--help"));
        assertEquals(0, help.code());
        for (String option : List.of("--captioner", "--filter", "--input", "--out", "--num-captions", "--threshold",
                "--seed", "--beams", "--batch-size", "--first-token")) {
            assertTrue(help.out().contains(option), option);
        }
    }

    /** A pair whose image is missing or broken becomes a row with an error; the rest go on; exit 4. */
    @Test
    void badImagesAreReportedAsRowsAndTheRunExitsFour() throws IOException {
        Path notes = Files.writeString(dir.resolve("notes.png"), "not a picture");
        List<String> lines = new ArrayList<>(Files.readAllLines(pairs(dir)));
        JsonObject bad = new JsonObject();
        bad.addProperty("image", notes.toString());
        bad.addProperty("text", "a caption of nothing");
        lines.add(1, bad.toString());
        JsonObject gone = new JsonObject();
        gone.addProperty("image", dir.resolve("gone.png").toString());
        gone.addProperty("text", "a caption of a lost file");
        lines.add(gone.toString());
        Path input = Files.write(dir.resolve("mixed.jsonl"), lines, StandardCharsets.UTF_8);

        Path out = dir.resolve("mixed");
        MatchingCliTest.Run r = blip(args(input, out, "--json"));
        assertEquals(BlipCli.EXIT_INPUT, r.code(), r.err());
        JsonObject summary = r.json().getAsJsonObject();
        assertEquals(14, summary.get("samples").getAsLong());
        assertEquals(2, summary.getAsJsonObject("web").get("errors").getAsLong());
        assertEquals(12, summary.getAsJsonObject("web").get("kept").getAsLong()
                + summary.getAsJsonObject("web").get("removed").getAsLong());

        List<JsonObject> rows = Files.readAllLines(out.resolve("all.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        List<JsonObject> failed = rows.stream().filter(o -> o.has("error")).toList();
        assertTrue(failed.stream().anyMatch(o -> o.get("image").getAsString().equals(notes.toString())
                && o.get("error").getAsString().contains("not an image")), failed.toString());
        assertTrue(failed.stream().anyMatch(o -> o.get("image").getAsString().endsWith("gone.png")), failed.toString());
        assertTrue(failed.stream().noneMatch(o -> o.get("kept").getAsBoolean()));
        // the good pairs score as in a clean run
        float[] probs = MatchingCliTest.golden("retrieval", "itm_probs");
        List<JsonObject> web = rows.stream().filter(o -> o.get("source").getAsString().equals("web") && !o.has("error"))
                .toList();
        assertEquals(12, web.size());
        for (int s = 0; s < 12; s++) {
            assertEquals(probs[s], web.get(s).get("itm").getAsDouble(), 1e-5, web.get(s).toString());
        }
    }
}
