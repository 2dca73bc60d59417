package dev.blip4j.examples;

// tag::nlvr[]
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.nlvr.NlvrClassifier;
import dev.blip4j.models.nlvr.NlvrQuery;
import dev.blip4j.models.nlvr.NlvrResult;
import java.nio.file.Path;
import java.util.List;
// end::nlvr[]

/** The README's NLVR2 snippet: sentences judged true or false of a pair of images. */
public final class Nlvr {

    private Nlvr() {}

    public static void main(String[] args) {
        // tag::nlvr[]
        try (BlipModel model = BlipModel.load(Path.of("model_base_nlvr.pth"))) {
            NlvrClassifier nlvr = new NlvrClassifier(model);
            List<NlvrResult> r = nlvr.classify(Path.of("photos/dog.jpg"), Path.of("photos/cat.jpg"),
                    List.of("There are two animals in total.", "The left image shows a cat."));
            // probability() = softmax(logits)[1], falseLogit(), trueLogit(), prediction()
            RgbImage a = model.readImage(Path.of("photos/dog.jpg"));
            RgbImage b = model.readImage(Path.of("photos/cat.jpg"));
            List<NlvrResult> rows = nlvr.classify(List.of(new NlvrQuery(a, b, "Both images show cats."),
                    new NlvrQuery(b, a, "The right image has more cats."))); // one pass, each image encoded once
            System.out.println(r.get(0) + "\n" + rows.get(1));
        }
        // end::nlvr[]
    }
}
