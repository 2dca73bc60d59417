package dev.blip4j.djl;

import ai.djl.modality.cv.Image;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** DJL images as blip4j images, converted once per instance. */
final class DjlImages {

    private DjlImages() {}

    /**
     * Each image as an {@link RgbImage} (Pillow-identical preprocessing then applies); the same
     * {@link Image} instance twice gives the same {@code RgbImage} instance, which the task APIs
     * encode once.
     */
    static List<RgbImage> convert(BlipModel model, List<Image> images) {
        Map<Image, RgbImage> converted = new IdentityHashMap<>();
        List<RgbImage> out = new ArrayList<>(images.size());
        for (Image image : images) {
            out.add(converted.computeIfAbsent(image, model.imageLoader()::fromDjlImage));
        }
        return out;
    }
}
