package dev.blip4j.cli;

import dev.blip4j.models.BlipModel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "PATH_OR_ID",
            description = "a HuggingFace model directory, a checkpoint file (.pth, .bin, .safetensors), "
                    + "or a model id org/name[@revision] resolved through the HuggingFace cache "
                    + "(downloaded when missing)")
    String model;

    @Mixin
    LoadOptions load;

    BlipModel load() {
        return load.load(model);
    }

    BlipModel.Builder builder() {
        return load.builder(model);
    }
}
