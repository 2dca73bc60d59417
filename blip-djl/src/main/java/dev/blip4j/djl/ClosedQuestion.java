package dev.blip4j.djl;

import ai.djl.modality.cv.Image;
import dev.blip4j.core.InputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A question about an image with the answers to choose from, the input of VQA's rank mode through
 * DJL: a Predictor of {@code (ClosedQuestion, Ranking)} ranks the answers as the official
 * {@code rank_answer} does. The list is tokenised once per batch (and kept while the next batch
 * asks with an equal list), so questions should share one list.
 *
 * @param answers the closed answer list, rules as {@link dev.blip4j.models.vqa.AnswerList}
 */
public record ClosedQuestion(Image image, String question, List<String> answers) {

    public ClosedQuestion {
        if (image == null) {
            throw new InputException("the image of a question must not be null");
        }
        if (question == null) {
            throw new InputException("the question must not be null (an empty question is allowed)");
        }
        if (answers == null) {
            throw new InputException("a closed question needs its answer list, not null");
        }
        answers = Collections.unmodifiableList(new ArrayList<>(answers));
    }
}
