package dev.blip4j.djl;

import ai.djl.modality.cv.Image;
import dev.blip4j.core.InputException;

/**
 * An image and a text, the input of image-text matching through DJL: a Predictor of
 * {@code (ImageText, Match)} scores each pair with ITM and ITC. Pairs that hold the same
 * {@link Image} instance share its encoding within a batch.
 */
public record ImageText(Image image, String text) {

    public ImageText {
        if (image == null) {
            throw new InputException("the image of an image-text pair must not be null");
        }
        if (text == null) {
            throw new InputException("the text of an image-text pair must not be null (an empty text is allowed)");
        }
    }
}
