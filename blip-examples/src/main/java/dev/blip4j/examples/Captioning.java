package dev.blip4j.examples;

// tag::caption[]
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.Captioner;
import java.nio.file.Path;
// end::caption[]

/** The README's first snippet: caption a photo with a captioning checkpoint. */
public final class Captioning {

    private Captioning() {}

    public static void main(String[] args) {
        // tag::caption[]
        try (BlipModel model = BlipModel.load(Path.of("blip-image-captioning-base"))) {
            Captioner captioner = new Captioner(model);       // beam 3, max 20, min 5, "a picture of "
            Caption c = captioner.caption(Path.of("photo.jpg")).get(0);
            System.out.println(c);                            // Caption[text=..., tokenIds=[...], score=...]
        }
        // end::caption[]
    }
}
