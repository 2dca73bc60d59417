package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.RankedAnswer;
import dev.blip4j.models.vqa.AnswerRanking;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "vqa", mixinStandardHelpOptions = true, description = "Answer questions about an image: generated answers, or the best entries of an"
        + " answer list with --answers (the official rank mode).")
final class VqaCommand implements Callable<Integer> {

    static final int DEFAULT_TOP = 5;

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--image", paramLabel = "IMG", description = "the image the questions are about (or give images as IMAGE_OR_DIR)")
    Path image;

    @Mixin
    ImageArgs images;

    @Option(names = "--question", required = true, paramLabel = "Q",
            description = "a question; repeat for several (the image is encoded once)")
    List<String> questions;

    @Option(names = "--answers", paramLabel = "FILE",
            description = "rank this answer list instead of generating: a .json array of strings, or one answer per line")
    Path answers;

    @Option(names = "--top", paramLabel = "N", description = "ranked answers to print per question (default: " + DEFAULT_TOP + ")")
    Integer top;

    @Option(names = "--k", paramLabel = "N", description = "answers scored in full after the first-token pass,"
            + " capped at the list size (default: " + VqaOptions.DEFAULT_CANDIDATES + ")")
    Integer k;

    @Option(names = "--beams", paramLabel = "N", description = "beam width of generated answers; 1 is greedy (default: 3)")
    Integer beams;

    @Option(names = "--greedy", description = "greedy search (same as --beams 1)")
    boolean greedy;

    @Option(names = "--max-length", paramLabel = "N", description = "longest generated answer, [DEC] included (default: 10)")
    Integer maxLength;

    @Option(names = "--min-length", paramLabel = "N", description = "shortest generated answer, [DEC] included (default: 1)")
    Integer minLength;

    @Option(names = "--repetition-penalty", paramLabel = "F", description = "CTRL repetition penalty (default: 1.0)")
    Float repetitionPenalty;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8",
            description = "questions per forward pass; generated answers can depend on the longest question of"
                    + " their batch, as in the official code (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        boolean rank = answers != null;
        if (!rank && (top != null || k != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--top and --k rank an answer list: give it with --answers FILE");
        }
        boolean decodingOptions = beams != null || greedy || maxLength != null || minLength != null
                || repetitionPenalty != null;
        if (rank && decodingOptions) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--beams, --greedy, --max-length,"
                    + " --min-length and --repetition-penalty apply to generated answers, not to ranking with --answers");
        }
        Decoding.refuseContradictions(spec, greedy, false);
        int n = top != null ? top : DEFAULT_TOP;
        if (n < 1) {
            throw new InputException("--top must be at least 1, got " + n);
        }
        GenerationConfig defaults = VqaOptions.defaultGeneration();
        GenerationConfig generation = defaults
                .withNumBeams(greedy ? 1 : beams != null ? beams : defaults.numBeams())
                .withLengths(minLength != null ? minLength : defaults.minLength(),
                        maxLength != null ? maxLength : defaults.maxLength())
                .withRepetitionPenalty(repetitionPenalty != null ? repetitionPenalty : defaults.repetitionPenalty());
        VqaOptions options = new VqaOptions(generation, k != null ? k : VqaOptions.DEFAULT_CANDIDATES, batchSize);
        PrintWriter out = spec.commandLine().getOut();
        List<Path> files = images.files(image == null ? null : List.of(image), false, "--image");
        boolean several = files.size() > 1;
        List<String> columns = new ArrayList<>(List.of("question", "answer"));
        if (rank) {
            columns.add("probability");
        }
        if (several) {
            columns.add(0, "image");
        }
        Rows rows = common.rows(out, columns.toArray(String[]::new));
        try (BlipModel m = model.load()) {
            VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(m, options);
            AnswerList list = rank ? AnswerList.load(answers, m) : null;
            for (Path file : files) {
                RgbImage img = m.readImage(file);
                if (rank) {
                    for (AnswerRanking r : vqa.rank(img, questions, list)) {
                        List<Map<String, Object>> ranked = new ArrayList<>();
                        for (RankedAnswer a : r.top(n)) {
                            Map<String, Object> entry = new LinkedHashMap<>();
                            entry.put("answer", a.answer());
                            entry.put("score", a.score());
                            entry.put("probability", a.probability());
                            ranked.add(entry);
                        }
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("question", r.question());
                        row.put("answers", ranked);
                        if (several) {
                            row.put("image", file.toString());
                        }
                        if (!rows.plain()) {
                            rows.add(row);
                        }
                        for (RankedAnswer a : r.top(n)) {
                            String p = String.format(Locale.ROOT, "%.4f", a.probability());
                            rows.note(several ? file + "\t" + r.question() + "\t" + a.answer() + "\t" + p
                                    : r.question() + "\t" + a.answer() + "\t" + p);
                        }
                    }
                } else {
                    for (Answer a : vqa.answer(img, questions)) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("question", a.question());
                        row.put("answer", a.text());
                        row.put("score", a.score());
                        if (several) {
                            row.put("image", file.toString());
                        }
                        if (several) {
                            rows.add(row, file, a.question(), a.text());
                        } else {
                            rows.add(row, a.question(), a.text());
                        }
                    }
                }
            }
        }
        rows.finish();
        return 0;
    }
}
