package dev.blip4j.models.vqa;

import dev.blip4j.core.InputException;
import dev.blip4j.models.image.RgbImage;

/**
 * One question about one image, for the batch forms of {@link VisualQuestionAnswerer}. Pairs that
 * hold the same {@link RgbImage} instance share its encoding.
 */
public record ImageQuestion(RgbImage image, String question) {

    public ImageQuestion {
        if (image == null) {
            throw new InputException("the image of a question must not be null");
        }
        if (question == null) {
            throw new InputException("the question must not be null (an empty question is allowed)");
        }
    }
}
