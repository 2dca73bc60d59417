package dev.blip4j.djl;

import ai.djl.modality.cv.Image;
import dev.blip4j.core.InputException;

/**
 * A question about an image, the input of generated VQA through DJL: a Predictor of
 * {@code (VisualQuestion, String)} answers it. Questions that hold the same {@link Image} instance
 * share its encoding within a batch.
 */
public record VisualQuestion(Image image, String question) {

    public VisualQuestion {
        if (image == null) {
            throw new InputException("the image of a question must not be null");
        }
        if (question == null) {
            throw new InputException("the question must not be null (an empty question is allowed)");
        }
    }
}
