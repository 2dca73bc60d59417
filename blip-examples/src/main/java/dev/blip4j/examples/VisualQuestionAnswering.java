package dev.blip4j.examples;

// tag::vqa[]
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.AnswerRanking;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import java.nio.file.Path;
import java.util.List;
// end::vqa[]

/** The README's VQA snippet: generated answers and a ranked answer list. */
public final class VisualQuestionAnswering {

    private VisualQuestionAnswering() {}

    public static void main(String[] args) {
        // tag::vqa[]
        try (BlipModel model = BlipModel.load(Path.of("blip-vqa-base"))) {
            VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model);     // beam 3, max 10, min 1
            RgbImage image = model.readImage(Path.of("photo.jpg"));
            Answer a = vqa.answer(image, "how many dogs are there?");            // a.text(), a.score()
            List<Answer> several = vqa.answer(image, List.of("what color is the car?", "is it raining?"));
            AnswerList list = AnswerList.load(Path.of("answer_list.json"), model); // tokenised once, reuse it
            AnswerRanking r = vqa.rank(image, "what color is the car?", list);        // k = 128 by default
            System.out.println(a.text() + " | " + several.get(1).text());
            r.top(5).forEach(x -> System.out.println(x.answer() + " " + x.score() + " " + x.probability()));
        }
        // end::vqa[]
    }
}
