package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code blip vqa} in process against the official outputs of the golden VQA model: the JSON
 * contract ({@code question, answer, score} when generating, {@code question, answers: [answer,
 * score, probability]} when ranking), its values, the text output and the exit codes.
 */
class VqaCommandTest {

    static final Path GOLDEN = Path.of(System.getProperty("blip.testResources")).resolve("golden");
    static final Path VQA = GOLDEN.resolve("vqa");

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BlipCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static JsonObject expected() throws IOException {
        return JsonParser.parseString(Files.readString(VQA.resolve("expected.json"))).getAsJsonObject();
    }

    static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    static List<String> questions() throws IOException {
        return strings(expected().getAsJsonObject("texts").getAsJsonArray("questions"));
    }

    static float[] goldenTensor(String name) {
        return SafeTensors.read(VQA.resolve("expected.safetensors")).tensors().get(name).toFloatArray();
    }

    static long[] goldenIds(String name) {
        return SafeTensors.read(VQA.resolve("expected.safetensors")).tensors().get(name).toLongArray();
    }

    static String image(int i) {
        return GOLDEN.resolve("images/image" + i + ".png").toString();
    }

    /** The model arguments of a layout; the original one needs the tiny vocabulary. */
    static List<String> modelArgs(String layout) {
        return layout.equals("hf") ? List.of("--model", VQA.resolve("hf").toString())
                : List.of("--model", VQA.resolve("original/model.pth").toString(),
                        "--tokenizer", GOLDEN.resolve("tokenizer/vocab.txt").toString());
    }

    /** vqa over image i with the three golden questions, padded together as in the golden batch. */
    static List<String> args(String layout, int image, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("vqa"));
        args.addAll(modelArgs(layout));
        args.addAll(List.of("--image", image(image)));
        for (String q : questions()) {
            args.addAll(List.of("--question", q));
        }
        args.addAll(List.of(more));
        return args;
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf", "original"})
    void generatedAnswersAreTheOfficialOnes(String layout) throws IOException {
        JsonObject generate = expected().getAsJsonObject("results").getAsJsonObject("generate");
        float[] scores = goldenTensor("generate.sequence_scores");
        for (int i = 0; i < 3; i++) {
            Result r = run(args(layout, i, "--json").toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
            assertEquals(3, rows.size());
            JsonObject row = rows.get(i).getAsJsonObject();
            assertEquals(Set.of("question", "answer", "score"), row.keySet());
            assertEquals(questions().get(i), row.get("question").getAsString());
            assertEquals(generate.getAsJsonArray("answers").get(i).getAsString(), row.get("answer").getAsString(),
                    "image " + i);
            double err = Math.abs(row.get("score").getAsDouble() - scores[i]);
            System.out.printf("cli vqa %s generate score %d: abs error %.3g%n", layout, i, err);
            assertTrue(err <= 1e-4, "score " + row.get("score") + " vs " + scores[i]);
        }
    }

    private Path goldenAnswerList() throws IOException {
        JsonArray list = expected().getAsJsonObject("results").getAsJsonObject("rank").getAsJsonArray("answer_list");
        Path file = dir.resolve("answer_list.json");
        Files.writeString(file, list.toString());
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf", "original"})
    void rankedAnswersAreTheOfficialOnes(String layout) throws IOException {
        JsonObject rank = expected().getAsJsonObject("results").getAsJsonObject("rank");
        List<String> answerList = strings(rank.getAsJsonArray("answer_list"));
        float[] logProbsSum = goldenTensor("rank.log_probs_sum");
        long[] topkIds = goldenIds("rank.topk_ids");
        Path list = goldenAnswerList();
        double maxErr = 0;
        for (int i = 0; i < 3; i++) {
            Result r = run(args(layout, i, "--answers", list.toString(), "--k", "4", "--top", "4", "--json")
                    .toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
            assertEquals(3, rows.size());
            JsonObject row = rows.get(i).getAsJsonObject();
            assertEquals(Set.of("question", "answers"), row.keySet());
            assertEquals(questions().get(i), row.get("question").getAsString());
            JsonArray answers = row.getAsJsonArray("answers");
            assertEquals(4, answers.size());
            assertEquals(rank.getAsJsonArray("answers").get(i).getAsString(),
                    answers.get(0).getAsJsonObject().get("answer").getAsString(), "the winner, image " + i);
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 4; c++) {
                max = Math.max(max, logProbsSum[i * 4 + c]);
            }
            double sum = 0;
            for (int c = 0; c < 4; c++) {
                sum += Math.exp(logProbsSum[i * 4 + c] - max);
            }
            double previous = Double.POSITIVE_INFINITY;
            for (JsonElement e : answers) {
                JsonObject a = e.getAsJsonObject();
                assertEquals(Set.of("answer", "score", "probability"), a.keySet());
                int c = candidate(topkIds, i, answerList.indexOf(a.get("answer").getAsString()));
                double err = Math.abs(a.get("score").getAsDouble() - logProbsSum[i * 4 + c]);
                maxErr = Math.max(maxErr, err);
                assertTrue(err <= 1e-4, a + " vs " + logProbsSum[i * 4 + c]);
                assertEquals(Math.exp(logProbsSum[i * 4 + c] - max) / sum, a.get("probability").getAsDouble(), 1e-4);
                assertTrue(a.get("score").getAsDouble() <= previous, "best first");
                previous = a.get("score").getAsDouble();
            }
        }
        System.out.printf("cli vqa %s rank scores: max abs error %.3g%n", layout, maxErr);
    }

    private static int candidate(long[] topkIds, int question, int index) {
        for (int c = 0; c < 4; c++) {
            if (topkIds[question * 4 + c] == index) {
                return c;
            }
        }
        throw new AssertionError("answer " + index + " not in the golden top-4 of question " + question);
    }

    @Test
    void topDefaultsToFiveCappedAtK() throws IOException {
        Path list = goldenAnswerList();
        Result r = run(args("hf", 0, "--answers", list.toString(), "--json").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(5, rows.get(0).getAsJsonObject().getAsJsonArray("answers").size());
        r = run(args("hf", 0, "--answers", list.toString(), "--k", "2", "--json").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        rows = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(2, rows.get(0).getAsJsonObject().getAsJsonArray("answers").size());
    }

    @Test
    void textOutputHasOneLinePerAnswer() throws IOException {
        JsonObject results = expected().getAsJsonObject("results");
        Result r = run(args("hf", 1).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        String[] all = r.out().split("\n");
        assertEquals("question\tanswer", all[0], "a header line first");
        String[] lines = java.util.Arrays.copyOfRange(all, 1, all.length);
        assertEquals(3, lines.length);
        assertEquals(questions().get(1) + "\t" + results.getAsJsonObject("generate").getAsJsonArray("answers").get(1)
                .getAsString(), lines[1]);

        r = run(args("hf", 1, "--answers", goldenAnswerList().toString(), "--k", "4", "--top", "2")
                .toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        all = r.out().split("\n");
        assertEquals("question\tanswer\tprobability", all[0], "a header line first");
        lines = java.util.Arrays.copyOfRange(all, 1, all.length);
        assertEquals(6, lines.length);
        assertTrue(lines[2].startsWith(questions().get(1) + "\t"
                + results.getAsJsonObject("rank").getAsJsonArray("answers").get(1).getAsString() + "\t"), lines[2]);
    }

    @Test
    void emptyQuestionIsAnswered() {
        Result r = run("vqa", "--model", VQA.resolve("hf").toString(), "--image", image(0), "--question", "", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject row = JsonParser.parseString(r.out()).getAsJsonArray().get(0).getAsJsonObject();
        assertEquals("", row.get("question").getAsString());
        assertTrue(row.has("answer") && Double.isFinite(row.get("score").getAsDouble()));
    }

    @Test
    void helpListsTheContractOptions() {
        Result r = run("vqa", "--help");
        assertEquals(0, r.code(), r.err());
        for (String option : List.of("--model", "--image", "--question", "--answers", "--top", "--k", "--beams",
                "--max-length", "--min-length")) {
            assertTrue(r.out().contains(option + "="), option + " in\n" + r.out());
        }
        assertTrue(r.out().contains("--json "), r.out());
    }

    @Test
    void exitCodes() throws IOException {
        String hf = VQA.resolve("hf").toString();
        Result r = run("vqa", "--model", GOLDEN.resolve("caption/hf").toString(), "--image", image(0),
                "--question", "what?");
        assertEquals(BlipCli.EXIT_MODEL, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("no question encoder"), r.err());

        r = run("vqa", "--model", hf, "--image", dir.resolve("missing.png").toString(), "--question", "what?");
        assertEquals(BlipCli.EXIT_INPUT, r.code(), r.err());
        assertTrue(r.err().startsWith("error: "), r.err());

        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        r = run("vqa", "--model", hf, "--image", image(0), "--question", "what?", "--answers", empty.toString());
        assertEquals(BlipCli.EXIT_INPUT, r.code());
        assertTrue(r.err().contains("answer list is empty"), r.err());

        Path dup = Files.writeString(dir.resolve("dup.txt"), "yes\nno\nyes\n");
        r = run("vqa", "--model", hf, "--image", image(0), "--question", "what?", "--answers", dup.toString());
        assertEquals(BlipCli.EXIT_INPUT, r.code());
        assertTrue(r.err().contains("\"yes\" twice"), r.err());

        Path ok = goldenAnswerList();
        r = run("vqa", "--model", hf, "--image", image(0), "--question", "what?", "--answers", ok.toString(),
                "--k", "0");
        assertEquals(BlipCli.EXIT_INPUT, r.code());
        assertTrue(r.err().contains("k must be at least 1"), r.err());

        r = run("vqa", "--model", hf, "--image", image(0), "--question", "what?", "--answers", ok.toString(),
                "--top", "0");
        assertEquals(BlipCli.EXIT_INPUT, r.code());

        r = run("vqa", "--model", hf, "--image", image(0), "--question", "what?", "--top", "3");
        assertEquals(BlipCli.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("--answers"), r.err());

        r = run("vqa", "--model", hf, "--image", image(0), "--question", "what?", "--answers", ok.toString(),
                "--beams", "2");
        assertEquals(BlipCli.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("apply to generated answers"), r.err());

        r = run("vqa", "--model", hf, "--image", image(0));
        assertEquals(BlipCli.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("--question"), r.err());

        r = run("vqa", "--model", hf, "--image", image(0), "--question", "what?", "--max-length", "100");
        assertEquals(BlipCli.EXIT_INPUT, r.code());
        assertTrue(r.err().contains("position table"), r.err());
    }

    @Test
    void decodingOptionsApplyToGeneratedAnswers() {
        Result r = run("vqa", "--model", VQA.resolve("hf").toString(), "--image", image(2), "--question",
                "what?", "--greedy", "--max-length", "4", "--min-length", "4", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject row = JsonParser.parseString(r.out()).getAsJsonArray().get(0).getAsJsonObject();
        GenerationConfig greedy = GenerationConfig.defaults().withGreedy().withLengths(4, 4);
        try (BlipModel model = BlipModel.load(VQA.resolve("hf"))) {
            Answer want = new VisualQuestionAnswerer(model, VqaOptions.defaults().withGeneration(greedy))
                    .answer(Path.of(image(2)), "what?");
            assertEquals(4, want.tokenIds().length, "three tokens after [DEC], no [SEP] before the minimum");
            assertEquals(want.text(), row.get("answer").getAsString());
            assertEquals(want.score(), row.get("score").getAsDouble(), 1e-12);
        }
    }
}
