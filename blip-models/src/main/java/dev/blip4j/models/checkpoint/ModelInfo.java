package dev.blip4j.models.checkpoint;

import dev.blip4j.core.BlipConfig;
import dev.blip4j.core.blip2.Blip2Config;
import dev.blip4j.core.vision.VisionConfig;
import java.nio.file.Path;

/**
 * What loading found, as {@code blip inspect} reports it.
 *
 * @param parameters elements of the distinct weights held in memory (tied weights counted once)
 * @param ignoredKeys checkpoint entries inference does not use (momentum encoders, queues, buffers)
 * @param tiedTensors names that share their tensor with another name
 * @param checkpointImageSize image size the position table was trained at
 * @param config a BLIP model's shape, null for BLIP-2
 * @param blip2 a BLIP-2 model's shape, null for BLIP
 */
public record ModelInfo(Path weights, Layout layout, BlipConfig config, long parameters, int ignoredKeys,
        int tiedTensors, int checkpointImageSize, Blip2Config blip2) {

    /** A BLIP model's. */
    public ModelInfo(Path weights, Layout layout, BlipConfig config, long parameters, int ignoredKeys,
            int tiedTensors, int checkpointImageSize) {
        this(weights, layout, config, parameters, ignoredKeys, tiedTensors, checkpointImageSize, null);
    }

    public boolean isBlip2() {
        return blip2 != null;
    }

    /** The image encoder's shape, whichever the family. */
    public VisionConfig vision() {
        return blip2 != null ? blip2.vision() : config.vision();
    }
}
