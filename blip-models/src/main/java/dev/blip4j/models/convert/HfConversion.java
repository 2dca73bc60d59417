package dev.blip4j.models.convert;

import dev.blip4j.core.BlipKind;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@link BlipConverter} wrote.
 *
 * @param out the HF-layout directory
 * @param kind the model kind the directory is for
 * @param architectures the transformers classes in {@code config.json}
 * @param tensors the number of tensors in {@code model.safetensors}
 * @param imageSize the image size the position table was written for
 * @param checkpointImageSize the image size the source's position table had
 */
public record HfConversion(Path out, BlipKind kind, List<String> architectures, int tensors, int imageSize,
        int checkpointImageSize) {}
