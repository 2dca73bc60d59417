package dev.blip4j.models.config;

/**
 * What a checkpoint's configuration files say about its shape; null where they are silent, in
 * which case the shapes of the tensors (and BLIP's defaults) decide.
 */
public record ConfigHints(
        Integer imageSize, Integer patchSize, Integer visionWidth, Integer visionDepth, Integer visionHeads,
        Integer visionMlp, Float visionEps,
        Integer vocabSize, Integer hidden, Integer layers, Integer heads, Integer intermediate, Integer maxPositions,
        Float textEps, Integer encoderWidth) {

    public static ConfigHints none() {
        return new ConfigHints(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }
}
