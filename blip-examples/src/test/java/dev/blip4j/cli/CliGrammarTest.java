package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * One grammar for every command: help with exit 0, {@code --threads} wherever a model loads,
 * positional images wherever images are taken, inert or contradictory options refused (exit 2,
 * with the reason), suggestions for typos, a header over plain output, JSON Lines streamed.
 * The structural checks iterate over all subcommands, so commands added later are covered.
 */
class CliGrammarTest {

    static final String CAPTION = CliRun.golden("caption/hf").toString();
    static final String ITM = CliRun.golden("itm/hf").toString();

    static Stream<String> commands() {
        return new CommandLine(new BlipCli()).getSubcommands().keySet().stream().sorted();
    }

    static Map<String, CommandLine> subcommands() {
        CommandLine cli = new CommandLine(new BlipCli());
        BlipCli.standardHelpEverywhere(cli);
        return cli.getSubcommands();
    }

    static String image(int i) {
        return CliRun.golden("images/image" + i + ".png").toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void everyCommandAnswersHelpWithExitZero(String command) {
        for (List<String> args : List.of(List.of(command, "--help"), List.of(command, "-h"), List.of("help", command))) {
            CliRun r = CliRun.of(args);
            assertEquals(0, r.exit(), args + "\n" + r);
            assertTrue(r.out().contains("Usage: blip " + command), args + "\n" + r);
            assertTrue(r.err().isEmpty(), r.toString());
        }
    }

    /** The options that name a model to load: a command with one of them loads a model. */
    static final List<String> MODEL_OPTIONS = List.of("--model", "--captioner", "--checkpoint");

    @Test
    void everyCommandThatLoadsAModelTakesThreads(@TempDir Path tmp) {
        List<String> loaders = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (var e : subcommands().entrySet()) {
            CommandSpec spec = e.getValue().getCommandSpec();
            if (MODEL_OPTIONS.stream().anyMatch(o -> spec.findOption(o) != null)) {
                loaders.add(e.getKey());
                if (spec.findOption("--threads") == null) {
                    missing.add(e.getKey());
                }
            }
        }
        assertTrue(loaders.containsAll(List.of("bench", "caption", "capfilt", "convert", "features", "index", "inspect",
                "itm", "nlvr", "search", "serve", "soak", "vqa")), "commands that load a model: " + loaders);
        assertEquals(List.of(), missing, "commands without --threads");

        // convert loads the checkpoint it writes: --threads is checked and used there too
        List<String> convert = List.of("convert", "--checkpoint", CliRun.golden("caption/original/model.pth").toString(),
                "--tokenizer", CliRun.golden("tokenizer/vocab.txt").toString(), "--out", tmp.resolve("hf").toString());
        CliRun one = CliRun.of(concat(convert, "--threads", "1"));
        assertEquals(0, one.exit(), one.toString());
        CliRun none = CliRun.of(concat(convert, "--threads", "0"));
        assertEquals(BlipCli.EXIT_USAGE, none.exit(), none.toString());
        assertTrue(none.err().contains("--threads must be at least 1, got 0"), none.toString());
    }

    static List<String> concat(List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all;
    }

    /** search's --image is its query, not images to process. */
    static final Set<String> QUERY_IMAGE = Set.of("search");

    @Test
    void everyCommandTakingImagesTakesThemAsPositionalArguments() {
        List<String> missing = new ArrayList<>();
        List<String> taking = new ArrayList<>();
        for (var e : subcommands().entrySet()) {
            CommandSpec spec = e.getValue().getCommandSpec();
            // an image option holding files, or file arguments of any name (soak's were IMAGE...)
            boolean takesImages = Stream.of("--image", "--images").map(spec::findOption)
                    .anyMatch(o -> o != null && holdsPaths(o))
                    || spec.positionalParameters().stream().anyMatch(CliGrammarTest::holdsPaths);
            if (takesImages) {
                taking.add(e.getKey());
            }
            if (takesImages && !QUERY_IMAGE.contains(e.getKey()) && spec.positionalParameters().stream()
                    .noneMatch(p -> p.paramLabel().equals("IMAGE_OR_DIR"))) {
                missing.add(e.getKey());
            }
        }
        assertEquals(List.of(), missing, "commands without IMAGE_OR_DIR...");
        assertTrue(taking.containsAll(List.of("caption", "features", "index", "itm", "nlvr", "soak", "vqa")),
                "commands taking images: " + taking);

        // soak's images are ImageArgs too: a folder means its images
        CliRun soak = CliRun.of("soak", "--model", CAPTION, "--calls", "1", "--every", "1", "--only", "read",
                CliRun.golden("images").toString());
        assertEquals(0, soak.exit(), soak.toString());
    }

    static boolean holdsPaths(CommandLine.Model.ArgSpec arg) {
        return arg.type() == Path.class || List.of(arg.auxiliaryTypes()).contains(Path.class);
    }

    @Test
    void inertAndContradictoryDecodingOptionsAreRefused() {
        List<List<String>> refused = List.of(
                List.of("caption", "--model", CAPTION, "--greedy", "--num-captions", "2", image(0)),
                List.of("caption", "--model", CAPTION, "--top-p", "0.8", image(0)),
                List.of("caption", "--model", CAPTION, "--seed", "3", image(0)),
                List.of("caption", "--model", CAPTION, "--greedy", "--sample", image(0)),
                List.of("caption", "--model", CAPTION, "--sample", "--beams", "3", image(0)),
                List.of("caption", "--model", CAPTION, "--threads", "0", image(0)));
        List<String> reasons = List.of("greedy search finds one sequence, not 2", "--top-p only applies to sampling: add --sample",
                "--seed only applies to sampling: add --sample", "--greedy and --sample are two searches: give one",
                "--beams is beam search's width: leave it out with --sample", "--threads must be at least 1, got 0");
        for (int i = 0; i < refused.size(); i++) {
            CliRun r = CliRun.of(refused.get(i));
            assertEquals(BlipCli.EXIT_USAGE, r.exit(), r.toString());
            assertEquals(1, r.errLines().size(), r.toString());
            assertTrue(r.err().contains(reasons.get(i)), r.toString());
        }
    }

    @Test
    void typosGetSuggestions() {
        CliRun r = CliRun.of("caption", "--model", CAPTION, "--beam", "2", image(0));
        assertEquals(BlipCli.EXIT_USAGE, r.exit());
        assertTrue(r.err().contains("did you mean --beams?"), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
    }

    @Test
    void plainOutputHasAHeaderAndJsonLinesStream() {
        CliRun plain = CliRun.of("caption", "--model", CAPTION, "--greedy", "--max-length", "8", "--threads", "1",
                image(0), image(1));
        assertEquals(0, plain.exit(), plain.toString());
        List<String> lines = plain.out().lines().toList();
        assertEquals("image\tcaption", lines.get(0));
        assertEquals(3, lines.size(), plain.out());
        assertTrue(lines.get(1).startsWith(image(0) + "\t"), plain.out());

        CliRun jsonl = CliRun.of("caption", "--model", CAPTION, "--greedy", "--max-length", "8", "--jsonl",
                image(0), image(1));
        assertEquals(0, jsonl.exit(), jsonl.toString());
        List<String> rows = jsonl.out().lines().toList();
        assertEquals(2, rows.size(), jsonl.out());
        for (int i = 0; i < 2; i++) {
            JsonObject row = JsonParser.parseString(rows.get(i)).getAsJsonObject();
            assertEquals(image(i), row.get("image").getAsString());
            assertEquals(lines.get(i + 1).split("\t", 2)[1], row.get("caption").getAsString());
            assertNotNull(row.get("token_ids"));
        }
    }

    @Test
    void itmAndVqaTakeSeveralPositionalImages() {
        CliRun itm = CliRun.of("itm", "--model", ITM, "--text", "a dog", "--text", "a cat", image(0), image(1));
        assertEquals(0, itm.exit(), itm.toString());
        List<String> lines = itm.out().lines().toList();
        assertEquals("image\titm\titc\ttext", lines.get(0));
        assertEquals(5, lines.size(), itm.out());
        CliRun one = CliRun.of("itm", "--model", ITM, "--text", "a dog", "--image", image(1), "--json");
        JsonObject first = JsonParser.parseString(one.out()).getAsJsonArray().get(0).getAsJsonObject();
        assertEquals(lines.get(3).split("\t")[1], String.format(java.util.Locale.ROOT, "%.6f", first.get("itm").getAsDouble()));
        CliRun both = CliRun.of("itm", "--model", ITM, "--text", "a dog", "--image", image(0), image(1), "--json");
        JsonObject second = JsonParser.parseString(both.out()).getAsJsonArray().get(1).getAsJsonObject();
        assertEquals(image(1), second.get("image").getAsString(), "with several images each row names its image");
        assertEquals(first.get("itm").getAsDouble(), second.get("itm").getAsDouble());

        CliRun vqa = CliRun.of("vqa", "--model", CliRun.golden("vqa/hf").toString(), "--question", "what is it?",
                image(0), image(2));
        assertEquals(0, vqa.exit(), vqa.toString());
        assertEquals("image\tquestion\tanswer", vqa.out().lines().findFirst().orElseThrow());
        assertEquals(3, vqa.out().lines().count(), vqa.out());

        CliRun none = CliRun.of("itm", "--model", ITM, "--text", "a dog");
        assertEquals(BlipCli.EXIT_USAGE, none.exit(), none.toString());
        assertTrue(none.err().contains("Missing required parameter: 'IMAGE_OR_DIR' or option '--image'"), none.toString());
    }

    @Test
    void rerankedAndItcOnlyHitsAreSeparateLabelledGroups(@TempDir Path tmp) {
        String model = CliRun.golden("retrieval/hf").toString();
        Path index = tmp.resolve("index");
        CliRun built = CliRun.of("index", "--model", model, "--out", index.toString(), CliRun.golden("images").toString());
        assertEquals(0, built.exit(), built.toString());
        CliRun search = CliRun.of("search", "--index", index.toString(), "--model", model, "--text", "a cat",
                "--k", "3", "--rerank", "1");
        assertEquals(0, search.exit(), search.toString());
        List<String> lines = search.out().lines().toList();
        assertEquals("rank\tscore\titc\titm\tpath", lines.get(0));
        assertTrue(lines.get(1).startsWith("# re-ranked: score = ITM logit + ITC"), search.out());
        assertTrue(lines.get(2).startsWith("1\t"), search.out());
        assertFalse(lines.get(2).split("\t")[3].equals("-"), search.out());
        assertTrue(lines.get(3).startsWith("# ranked by ITC only"), search.out());
        assertEquals("-", lines.get(4).split("\t")[3], search.out());
        assertEquals(6, lines.size(), search.out());
        CliRun json = CliRun.of("search", "--index", index.toString(), "--model", model, "--text", "a cat",
                "--k", "3", "--rerank", "1", "--json");
        var rows = JsonParser.parseString(json.out()).getAsJsonArray();
        assertFalse(rows.get(0).getAsJsonObject().get("itm").isJsonNull(), "re-ranked: itm");
        assertTrue(rows.get(1).getAsJsonObject().get("itm").isJsonNull(), "by ITC only: itm null");
    }
}
