package dev.blip4j.examples;

// tag::gradcam[]
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.gradcam.HeatMaps;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ItmGradCam;
import dev.blip4j.models.matching.MatchGradCam;
import dev.blip4j.models.matching.MatchOptions;
import java.nio.file.Path;
import java.util.List;
// end::gradcam[]

/** The README's Grad-CAM snippet: where in the image a text matches, and the pictures. */
public final class GradCamExample {

    private GradCamExample() {}

    public static void main(String[] args) {
        // tag::gradcam[]
        try (BlipModel model = BlipModel.load(Path.of("blip-itm-base-coco"))) {
            RgbImage image = model.readImage(Path.of("photo.jpg"));
            ItmGradCam gradCam = new ItmGradCam(model, MatchOptions.defaults().withFirstToken(FirstToken.ENC),
                    ItmGradCam.defaultLayer(model));                      // layer 6 of BLIP's 12, as LAVIS
            MatchGradCam m = gradCam.explain(image, "a dog on a beach");  // m.itm(), m.gradCam()
            GradCam cam = m.gradCam();               // tokens(), tokenMap(t), wordsMap(), words(), grid(), layer()
            List<Path> files = HeatMaps.write(Path.of("maps"), "photo.0", image, cam); // photo.0.words.png, ...
            System.out.println(cam.tokens() + " " + files.get(0));
        }
        // end::gradcam[]
    }
}
