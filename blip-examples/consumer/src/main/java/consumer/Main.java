package consumer;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Captioner;
import java.nio.file.Path;

/** Captions an image with blip4j's task API and through DJL: {@code Main MODEL_DIR IMAGE}. */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path image = Path.of(args[1]);
        try (BlipModel blip = BlipModel.load(model)) {
            System.out.println("caption: " + new Captioner(blip).caption(image).get(0).text());
        }
        Criteria<Image, String> criteria = Criteria.builder().setTypes(Image.class, String.class)
                .optModelPath(model).build();
        try (ZooModel<Image, String> zoo = criteria.loadModel(); Predictor<Image, String> predictor = zoo.newPredictor()) {
            System.out.println("djl: " + predictor.predict(ImageFactory.getInstance().fromFile(image)));
        }
    }
}
