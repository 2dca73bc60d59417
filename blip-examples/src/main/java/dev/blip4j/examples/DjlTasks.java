package dev.blip4j.examples;

// tag::djl-tasks[]
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.blip4j.djl.BlipZoo;
import dev.blip4j.djl.ClosedQuestion;
import dev.blip4j.djl.ImageText;
import dev.blip4j.djl.VisualQuestion;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.vqa.AnswerRanking;
import java.nio.file.Path;
import java.util.List;
// end::djl-tasks[]

/** The README's other DJL tasks: ITM pairs, VQA generated and ranked, ITC embeddings. */
public final class DjlTasks {

    private DjlTasks() {}

    public static void main(String[] args) throws Exception {
        // tag::djl-tasks[]
        Image image = ImageFactory.getInstance().fromFile(Path.of("photo.jpg"));
        String itmUrl = BlipZoo.url(Path.of("blip-itm-base-coco"));  // add ?first_token=enc to score as retrieval
        try (ZooModel<ImageText, Match> itm = Criteria.builder().setTypes(ImageText.class, Match.class)
                        .optModelUrls(itmUrl).build().loadModel();
                Predictor<ImageText, Match> p = itm.newPredictor()) {
            Match m = p.predict(new ImageText(image, "a dog on a beach")); // Match(text, itm, itc)
            System.out.println(m);
        }
        String vqaUrl = BlipZoo.url(Path.of("blip-vqa-base"));       // ?beams=1&max_length=10, ?k=128
        try (ZooModel<VisualQuestion, String> vqa = Criteria.builder().setTypes(VisualQuestion.class, String.class)
                        .optModelUrls(vqaUrl).build().loadModel();
                Predictor<VisualQuestion, String> p = vqa.newPredictor();
                ZooModel<ClosedQuestion, AnswerRanking> rank = Criteria.builder()
                        .setTypes(ClosedQuestion.class, AnswerRanking.class).optModelUrls(vqaUrl).build().loadModel();
                Predictor<ClosedQuestion, AnswerRanking> r = rank.newPredictor()) {
            String answer = p.predict(new VisualQuestion(image, "how many dogs are there?"));
            String best = r.predict(new ClosedQuestion(image, "what color is it?", List.of("red", "blue"))).best().answer();
            System.out.println(answer + " | " + best);
        }
        // Normalised ITC embeddings (a checkpoint with vision_proj/text_proj): their dot product is the ITC cosine
        try (ZooModel<Image, float[]> images = Criteria.builder().setTypes(Image.class, float[].class)
                        .optModelUrls(itmUrl).build().loadModel();
                ZooModel<String, float[]> texts = Criteria.builder().setTypes(String.class, float[].class)
                        .optModelUrls(itmUrl).build().loadModel();
                Predictor<Image, float[]> imageEmbedder = images.newPredictor();
                Predictor<String, float[]> textEmbedder = texts.newPredictor()) {
            float[] a = imageEmbedder.predict(image);
            float[] b = textEmbedder.predict("a dog on a beach");
            double cosine = 0;
            for (int i = 0; i < a.length; i++) {
                cosine += a[i] * b[i];
            }
            System.out.println(cosine);
        }
        // end::djl-tasks[]
    }
}
