package dev.blip4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.InputException;
import dev.blip4j.models.image.RgbImage;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * The images of pairs (image-text, image-question), each distinct one (by identity) once, so that
 * an image goes through the ViT once however many pairs share it; a pair's row is then gathered
 * from the encoded images.
 */
public final class DistinctImages {

    private final List<RgbImage> images;
    private final int[] imageOf;

    private DistinctImages(List<RgbImage> images, int[] imageOf) {
        this.images = images;
        this.imageOf = imageOf;
    }

    /** @throws InputException if a pair's image is null */
    public static DistinctImages of(List<RgbImage> perPair) {
        return of(perPair, i -> "the image of pair " + i);
    }

    /**
     * @param name names pair {@code i} in the error for a null image (e.g. "the first image of NLVR2 query 3")
     * @throws InputException if a pair's image is null
     */
    public static DistinctImages of(List<RgbImage> perPair, IntFunction<String> name) {
        Map<RgbImage, Integer> index = new IdentityHashMap<>();
        List<RgbImage> distinct = new ArrayList<>();
        int[] imageOf = new int[perPair.size()];
        for (int i = 0; i < imageOf.length; i++) {
            RgbImage image = perPair.get(i);
            if (image == null) {
                throw new InputException(name.apply(i) + " is null");
            }
            imageOf[i] = index.computeIfAbsent(image, img -> {
                distinct.add(img);
                return distinct.size() - 1;
            });
        }
        return new DistinctImages(List.copyOf(distinct), imageOf);
    }

    /** The distinct images, in order of first use. */
    public List<RgbImage> images() {
        return images;
    }

    /** Per pair, its image's position in {@link #images()}. */
    public int[] imageOf() {
        return imageOf.clone();
    }

    /** ViT token states [distinct images, N, W], {@code batchSize} images per pass, owned by {@code manager}. */
    public NDArray encode(BlipModel model, int batchSize, NDManager manager) {
        return ImageBatches.of(model, images).encode(model.imageTextNetwork(), batchSize, manager);
    }

    /** The rows of {@code perImage} [distinct images, ...] of pairs {@code [from, to)}, owned by {@code manager}. */
    public NDArray ofPairs(NDArray perImage, int from, int to, NDManager manager) {
        return ofPairs(perImage, IntStream.range(from, to), manager);
    }

    /** The rows of {@code perImage} [distinct images, ...] of the given pairs, in that order, owned by {@code manager}. */
    public NDArray ofPairs(NDArray perImage, IntStream pairs, NDManager manager) {
        return Rows.take(perImage, pairs.map(p -> imageOf[p]).toArray(), manager);
    }
}
