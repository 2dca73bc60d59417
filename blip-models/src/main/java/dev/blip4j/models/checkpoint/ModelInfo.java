package dev.blip4j.models.checkpoint;

import dev.blip4j.core.BlipConfig;
import java.nio.file.Path;

/**
 * What loading found, as {@code blip inspect} reports it.
 *
 * @param parameters elements of the distinct weights held in memory (tied weights counted once)
 * @param ignoredKeys checkpoint entries inference does not use (momentum encoders, queues, buffers)
 * @param tiedTensors names that share their tensor with another name
 * @param checkpointImageSize image size the position table was trained at
 */
public record ModelInfo(Path weights, Layout layout, BlipConfig config, long parameters, int ignoredKeys,
        int tiedTensors, int checkpointImageSize) {}
