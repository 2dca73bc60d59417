package dev.blip4j.cli;

import dev.blip4j.models.BlipModel;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "a HuggingFace model directory or a checkpoint file (.pth, .bin, .safetensors)")
    Path model;

    @Mixin
    LoadOptions load;

    BlipModel load() {
        return load.load(model);
    }
}
