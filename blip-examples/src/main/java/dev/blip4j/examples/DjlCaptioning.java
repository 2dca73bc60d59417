package dev.blip4j.examples;

// tag::djl[]
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.blip4j.djl.BlipZoo;
import java.nio.file.Path;
import java.util.List;
// end::djl[]

/** The README's DJL snippet: a blip4j: URL through DJL's Criteria and Predictor. */
public final class DjlCaptioning {

    private DjlCaptioning() {}

    public static void main(String[] args) throws Exception {
        // tag::djl[]
        Criteria<Image, String> criteria = Criteria.builder()
                .setTypes(Image.class, String.class)                           // or Caption.class, Caption[].class
                .optModelUrls(BlipZoo.url(Path.of("blip-image-captioning-base"))) // or "blip4j://Salesforce/..."
                .build();
        try (ZooModel<Image, String> model = criteria.loadModel();
                Predictor<Image, String> predictor = model.newPredictor()) {
            Image image = ImageFactory.getInstance().fromFile(Path.of("photo.jpg"));
            String caption = predictor.predict(image);
            List<String> captions = predictor.batchPredict(List.of(image, image)); // one decoding for the batch
            System.out.println(caption + " | " + captions.size());
        }
        // end::djl[]
    }
}
