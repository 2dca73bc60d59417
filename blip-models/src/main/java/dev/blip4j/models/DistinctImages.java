package dev.blip4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.blip4j.core.InputException;
import dev.blip4j.models.image.RgbImage;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * The images of a list of task rows in which the same image (the same instance) comes back, for
 * example one photo asked several questions: each distinct image goes through the ViT once, and
 * every row takes its image's states from there.
 */
public final class DistinctImages {

    private final List<RgbImage> images;
    private final int[] indexOf;

    private DistinctImages(List<RgbImage> images, int[] indexOf) {
        this.images = images;
        this.indexOf = indexOf;
    }

    /**
     * @param rows one image per row
     * @param name names row {@code i} in the error for a null image (e.g. "the image of pair 3")
     */
    public static DistinctImages of(List<RgbImage> rows, IntFunction<String> name) {
        Map<RgbImage, Integer> index = new IdentityHashMap<>();
        List<RgbImage> distinct = new ArrayList<>();
        int[] indexOf = new int[rows.size()];
        for (int i = 0; i < indexOf.length; i++) {
            RgbImage image = rows.get(i);
            if (image == null) {
                throw new InputException(name.apply(i) + " is null");
            }
            indexOf[i] = index.computeIfAbsent(image, img -> {
                distinct.add(img);
                return distinct.size() - 1;
            });
        }
        return new DistinctImages(List.copyOf(distinct), indexOf);
    }

    /** The distinct images, in order of first appearance. */
    public List<RgbImage> images() {
        return images;
    }

    /** ViT states [distinct images, N, W], {@code batchSize} images per pass, owned by {@code manager}. */
    public NDArray encode(BlipModel model, int batchSize, NDManager manager) {
        NDList encoded = new NDList();
        for (int start = 0; start < images.size(); start += batchSize) {
            int end = Math.min(images.size(), start + batchSize);
            encoded.add(model.imageTextNetwork().encodeImage(model.pixels(images.subList(start, end), manager)));
        }
        return encoded.size() == 1 ? encoded.get(0) : NDArrays.concat(encoded);
    }

    /** Position of row {@code i}'s image among {@link #images()}. */
    public int indexOf(int row) {
        return indexOf[row];
    }

    /**
     * The states of the given rows, in that order, [rows, ...], from the states of {@link #encode};
     * owned by {@code manager}.
     */
    public NDArray rows(NDArray states, IntStream rows, NDManager manager) {
        NDList parts = new NDList();
        rows.forEach(r -> parts.add(states.get(new NDIndex("{}:{}", indexOf[r], indexOf[r] + 1))));
        NDArray out = parts.get(0);
        if (parts.size() > 1) {
            out = NDArrays.concat(parts);
            parts.close();
        }
        out.attach(manager);
        return out;
    }
}
