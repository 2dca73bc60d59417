package dev.blip4j.cli;

import ai.djl.Device;
import dev.blip4j.models.BlipModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "a HuggingFace model directory or a checkpoint file (.pth, .bin, .safetensors)")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "a tokenizer.json, a vocab.txt, or a directory holding one "
                    + "(default: the model's own, else the shipped bert-base-uncased vocabulary)")
    Path tokenizer;

    /** The command this mixin is part of, for usage errors. */
    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec command;

    @Option(names = "--image-size", paramLabel = "N",
            description = "run at another image size, interpolating the position embeddings")
    Integer imageSize;

    @Option(names = "--device", paramLabel = "cpu|gpu", defaultValue = "cpu", description = "where to run (default: ${DEFAULT-VALUE})")
    String device;

    BlipModel load() {
        return BlipModel.builder(model).tokenizer(tokenizer).imageSize(imageSize).device(device()).load();
    }

    Device device() {
        return switch (device) {
            case "cpu" -> Device.cpu();
            case "gpu" -> Device.gpu();
            default -> throw new picocli.CommandLine.ParameterException(
                    command.commandLine(), "--device must be cpu or gpu, got " + device);
        };
    }
}
