package dev.blip4j.cli;

import dev.blip4j.models.BlipModel;
import dev.blip4j.capfilt.CapFiltOptions;
import dev.blip4j.models.caption.CaptionOptions;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of {@code blip capfilt}, shared with the Spark job ({@code blip-spark capfilt}) so that
 * both take exactly the same ones.
 */
public final class CapFiltArgs {

    @Option(names = "--captioner", required = true, paramLabel = "PATH",
            description = "the caption model writing synthetic captions (HF directory or checkpoint file)")
    Path captioner;

    @Option(names = "--filter", required = true, paramLabel = "PATH",
            description = "the ITM model filtering texts (ITM, retrieval or pre-trained checkpoint)")
    Path filter;

    @Mixin
    LoadOptions load;

    @Option(names = "--input", required = true, paramLabel = "FILE_OR_DIR",
            description = "JSON Lines file(s) of {\"image\", \"text\", ...} records or WebDataset .tar shards; "
                    + "a folder means every .jsonl, .ndjson and .tar below it (repeatable)")
    List<Path> inputs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--num-captions", paramLabel = "N", defaultValue = "1",
            description = "synthetic captions per image (default: ${DEFAULT-VALUE})")
    int numCaptions;

    @Option(names = "--threshold", paramLabel = "F", defaultValue = "0.5",
            description = "keep a text whose ITM match probability is at least F (default: ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "base sampling seed; each sample draws from (seed, its key) (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--beams", paramLabel = "N", defaultValue = "0",
            description = "0: nucleus sampling as the paper (top-p 0.9, repetition penalty 1.1); N >= 1: beam search "
                    + "with N beams, at most N captions (default: ${DEFAULT-VALUE})")
    int beams;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8",
            description = "images per forward pass and per commit (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--first-token", paramLabel = "enc|cls", defaultValue = "enc",
            description = "first token of the ITM text: enc as ITM was trained, cls as BLIP_ITM (default: ${DEFAULT-VALUE})")
    String firstToken;

    @Option(names = "--top-p", paramLabel = "F", defaultValue = "0.9", description = "nucleus mass (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--max-length", paramLabel = "N", defaultValue = "30",
            description = "longest caption, prompt included (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--min-length", paramLabel = "N", defaultValue = "10",
            description = "shortest caption, prompt included (default: ${DEFAULT-VALUE})")
    int minLength;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = CaptionOptions.DEFAULT_PROMPT,
            description = "text the captions continue, stripped from them (default: '${DEFAULT-VALUE}')")
    String prompt;

    /** {@code --threads} as given (a loading option; on Spark the default is spark.task.cpus), or null. */
    public Integer threads() {
        return load.threads();
    }

    /** The options as the library takes them; a bad {@code --first-token} is a usage error of {@code cli}. */
    public CapFiltOptions options(CommandLine cli) {
        return OptionValues.check(cli, () -> new CapFiltOptions(numCaptions, threshold, seed, beams, topP, maxLength,
                minLength, prompt, FirstTokens.parse(firstToken, cli), batchSize));
    }

    public Path captioner() {
        return captioner;
    }

    public Path filter() {
        return filter;
    }

    public List<Path> inputs() {
        return List.copyOf(inputs);
    }

    public Path out() {
        return out;
    }

    /** {@code --tokenizer} as given, or null. */
    public Path tokenizer() {
        return load.tokenizer;
    }

    /** {@code --image-size} as given, or null. */
    public Integer imageSize() {
        return load.imageSize;
    }

    /** {@code --device} as given. */
    public String device() {
        return load.device;
    }

    /** {@code --dtype} as given. */
    public String dtype() {
        return load.dtype;
    }

    /** Loads a model with these loading options (tokenizer, image size, device, dtype). */
    public BlipModel load(Path model) {
        return load.load(model.toString());
    }

    /**
     * Loads a model as {@code --tokenizer}, {@code --image-size}, {@code --device} and {@code --dtype}
     * would (null tokenizer and image size: the model's own), e.g. on a Spark executor.
     */
    public static BlipModel load(Path model, Path tokenizer, Integer imageSize, String device, String dtype) {
        LoadOptions o = new LoadOptions();
        o.tokenizer = tokenizer;
        o.imageSize = imageSize;
        o.device = device;
        o.dtype = dtype;
        return o.load(model.toString());
    }
}
