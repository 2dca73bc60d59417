package dev.blip4j.core.generate;

/** The length a hypothesis score is divided by, under either normalisation. */
final class Lengths {

    private Lengths() {}

    /**
     * @param length tokens of the hypothesis without its end token, prompt included
     */
    static double normalise(double sumLogProbs, int length, int promptLength, GenerationConfig config) {
        return sumLogProbs / Math.pow(normLength(length, promptLength, config), config.lengthPenalty());
    }

    static int normLength(int length, int promptLength, GenerationConfig config) {
        return config.normalization() == GenerationConfig.LengthNormalization.WHOLE_SEQUENCE
                ? length
                : Math.max(1, length - promptLength);
    }
}
