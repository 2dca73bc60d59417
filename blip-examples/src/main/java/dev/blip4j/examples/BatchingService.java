package dev.blip4j.examples;

// tag::service[]
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.serving.BlipService;
import dev.blip4j.models.serving.ServiceListener;
import dev.blip4j.models.serving.ServiceOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
// end::service[]

/** The README's BlipService snippet: one model shared by request threads, batched. */
public final class BatchingService {

    private BatchingService() {}

    public static void main(String[] args) throws Exception {
        // tag::service[]
        try (BlipModel model = BlipModel.load(Path.of("blip-image-captioning-base"));
                BlipService service = new BlipService(model, ServiceOptions.defaults(), ServiceListener.NONE)) {
            RgbImage image = model.readImage(Path.of("photo.jpg"));
            CompletableFuture<List<Caption>> c = service.caption(image, CaptionOptions.defaults()); // from any thread
            // with an ITM model: service.match(image, texts, MatchOptions.defaults()), a CompletableFuture<List<Match>>
            System.out.println(c.get().get(0).text());
        }
        // end::service[]
    }
}
