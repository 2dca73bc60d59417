package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.image.RgbImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "caption", mixinStandardHelpOptions = true, description = "Caption images (a folder means every image in it).")
final class CaptionCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--beams", paramLabel = "N", defaultValue = "3", description = "beam width; 1 is greedy (default: ${DEFAULT-VALUE})")
    int beams;

    @Option(names = "--greedy", description = "greedy search (same as --beams 1)")
    boolean greedy;

    @Option(names = "--max-length", paramLabel = "N", defaultValue = "20", description = "longest sequence, prompt included (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--min-length", paramLabel = "N", defaultValue = "5", description = "shortest sequence, prompt included (default: ${DEFAULT-VALUE})")
    int minLength;

    @Option(names = "--repetition-penalty", paramLabel = "F", description = "CTRL repetition penalty (default: 1.0, or 1.1 with --sample as the official code)")
    Float repetitionPenalty;

    @Option(names = "--sample", description = "nucleus sampling instead of search")
    boolean sample;

    @Option(names = "--top-p", paramLabel = "F", defaultValue = "0.9", description = "nucleus mass when sampling (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--top-k", paramLabel = "N", defaultValue = "50", description = "keep the k best tokens when sampling, 0 for all (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--temperature", paramLabel = "F", defaultValue = "1.0", description = "sampling temperature (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = CaptionOptions.DEFAULT_PROMPT, description = "text the caption continues, stripped from the output (default: '${DEFAULT-VALUE}')")
    String prompt;

    @Option(names = "--keep-prompt", description = "keep the prompt in the caption text, as HF does")
    boolean keepPrompt;

    @Option(names = "--num-captions", paramLabel = "N", defaultValue = "1", description = "captions per image (default: ${DEFAULT-VALUE})")
    int numCaptions;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8", description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Mixin
    ImageArgs images;

    @Mixin
    GradCamOptions gradCamOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CaptionOptions options = options();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Path> files = images.files(null, false, null);
        Rows rows = common.rows(out, "image", "caption");
        boolean failed = false;
        boolean explain = gradCamOptions.wanted(spec.commandLine());
        try (BlipModel m = model.load()) {
            Captioner captioner = captioner(m, options);
            int layer = gradCamLayer(captioner, m);
            Progress progress = new Progress(err, files.size(), "img");
            for (int start = 0; start < files.size(); start += batchSize) {
                int end = Math.min(files.size(), start + batchSize);
                List<Integer> loaded = new ArrayList<>();
                List<RgbImage> images = new ArrayList<>();
                Map<Integer, InputException> unusable = new HashMap<>();
                for (int f = start; f < end; f++) {
                    try {
                        images.add(m.readImage(files.get(f)));
                        loaded.add(f);
                    } catch (InputException e) {
                        unusable.put(f, e);
                    }
                }
                Map<Integer, List<Caption>> captioned = new HashMap<>();
                try {
                    List<List<Caption>> captions = captioner.caption(images);
                    for (int i = 0; i < loaded.size(); i++) {
                        captioned.put(loaded.get(i), captions.get(i));
                    }
                } catch (InputException e) { // a batch the model refused: each of its images failed
                    loaded.forEach(f -> unusable.put(f, e));
                }
                failed |= !unusable.isEmpty();
                for (int f = start; f < end; f++) { // in file order, whatever failed where
                    Path file = files.get(f);
                    if (unusable.containsKey(f)) {
                        itemError(file, unusable.get(f), err, rows);
                        continue;
                    }
                    List<Caption> own = captioned.get(f);
                    for (int k = 0; k < own.size(); k++) {
                        Caption c = own.get(k);
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("image", file.toString());
                        row.put("caption", c.text());
                        row.put("token_ids", c.tokenIds());
                        row.put("score", c.score());
                        if (explain) {
                            RgbImage picture = images.get(loaded.indexOf(f));
                            GradCam cam = captioner.gradCam(picture, c, layer);
                            gradCamOptions.write(file, k, picture, cam);
                            row.put("gradcam", GradCamOptions.json(cam));
                        }
                        rows.add(row, file, c.text());
                    }
                }
                progress.advance(end - start);
            }
        }
        rows.finish();
        err.flush();
        return failed ? BlipCli.EXIT_INPUT : 0;
    }

    /**
     * The options as the library takes them; values it refuses are usage errors (exit 2), and so
     * are options that would change nothing or contradict each other.
     */
    private CaptionOptions options() {
        Decoding.refuseInert(spec, sample, "--top-p", "--top-k", "--temperature", "--seed");
        Decoding.refuseContradictions(spec, greedy, sample);
        try {
            GenerationConfig generation = GenerationConfig.defaults()
                    .withNumBeams(greedy || sample ? 1 : beams)
                    .withLengths(minLength, maxLength)
                    .withRepetitionPenalty(repetitionPenalty != null ? repetitionPenalty : sample ? 1.1f : 1f)
                    .withSample(sample)
                    .withTopK(topK)
                    .withTopP(sample ? topP : 1f)
                    .withTemperature(temperature)
                    .withNumReturnSequences(numCaptions)
                    .withSeed(seed);
            return new CaptionOptions(generation, prompt, !keepPrompt, batchSize);
        } catch (InputException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** The decoder layer for --gradcam: the one asked for, which must exist (bad usage otherwise), or the default. */
    private int gradCamLayer(Captioner captioner, BlipModel m) {
        Integer layer = gradCamOptions.layer;
        int layers = m.network().decoderLayers();
        if (layer != null && (layer < 0 || layer >= layers)) {
            throw new ParameterException(spec.commandLine(), "--gradcam-layer " + layer
                    + " does not exist: the decoder has layers 0 to " + (layers - 1));
        }
        return layer != null ? layer : captioner.defaultGradCamLayer();
    }

    /** Options that only the loaded model can check (a prompt or length past its positions) are usage errors too. */
    private Captioner captioner(BlipModel m, CaptionOptions options) {
        try {
            return new Captioner(m, options);
        } catch (InputException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** Reports one failed image: a stderr line in plain output, a row with {@code error} in JSON. */
    private void itemError(Path file, InputException e, PrintWriter err, Rows rows) {
        if (rows.plain()) {
            BlipCli.report(e, file, err, common.verbose);
            return;
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("image", file.toString());
        row.put("error", ErrorLine.what(e));
        rows.add(row);
    }
}
