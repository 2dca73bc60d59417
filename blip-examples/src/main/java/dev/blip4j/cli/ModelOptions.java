package dev.blip4j.cli;

import ai.djl.Device;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.hub.DownloadProgress;
import dev.blip4j.models.hub.HubSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "PATH_OR_ID",
            description = "a HuggingFace model directory, a checkpoint file (.pth, .bin, .safetensors), "
                    + "or a model id org/name[@revision] resolved through the HuggingFace cache "
                    + "(downloaded when missing)")
    String model;

    @Option(names = "--offline", description = "never touch the network: a model id must be in the "
            + "HuggingFace cache already (as HF_HUB_OFFLINE=1)")
    boolean offline;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "a tokenizer.json, a vocab.txt, or a directory holding one "
                    + "(default: the model's own, else the shipped bert-base-uncased vocabulary)")
    Path tokenizer;

    @Option(names = "--image-size", paramLabel = "N",
            description = "run at another image size, interpolating the position embeddings")
    Integer imageSize;

    @Option(names = "--device", paramLabel = "cpu|gpu", defaultValue = "cpu", description = "where to run (default: ${DEFAULT-VALUE})")
    String device;

    BlipModel load() {
        return builder().load();
    }

    /** The loading options given on the command line, download progress on stderr. */
    BlipModel.Builder builder() {
        HubSettings hub = HubSettings.fromEnvironment();
        return BlipModel.builder(model).tokenizer(tokenizer).imageSize(imageSize).device(device())
                .hub(hub).offline(offline)
                .downloadProgress(hub.progressBars() ? DownloadProgress.bars(new PrintWriter(System.err, true))
                        : DownloadProgress.NONE);
    }

    Device device() {
        return switch (device) {
            case "cpu" -> Device.cpu();
            case "gpu" -> Device.gpu();
            default -> throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--device must be cpu or gpu, got " + device);
        };
    }
}
