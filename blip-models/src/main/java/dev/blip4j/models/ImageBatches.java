package dev.blip4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.models.image.RgbImage;
import java.util.List;

/**
 * The images of a task call on their way into the ViT, a batch at a time: decoded images,
 * preprocessed batch by batch, or normalised pixels [B, 3, S, S] made before (e.g. by a DJL
 * Translator's input step), which are sliced and never closed. One task method then serves both.
 */
public final class ImageBatches {

    /** Work on one batch: its first image's position and its pixels. */
    @FunctionalInterface
    public interface Work {
        void run(int first, NDArray pixels);
    }

    @FunctionalInterface
    private interface Source {
        NDArray pixels(int from, int to, NDManager manager);
    }

    private final int size;
    private final Source source;

    private ImageBatches(int size, Source source) {
        this.size = size;
        this.source = source;
    }

    public static ImageBatches of(BlipModel model, List<RgbImage> images) {
        return new ImageBatches(images.size(), (from, to, m) -> model.pixels(images.subList(from, to), m));
    }

    /** @param pixels normalised pixels [B, 3, S, S]; left open */
    public static ImageBatches of(NDArray pixels) {
        return new ImageBatches(Math.toIntExact(pixels.getShape().get(0)),
                (from, to, m) -> Rows.slice(pixels, from, to, m));
    }

    public int size() {
        return size;
    }

    /**
     * Runs {@code work} on consecutive batches of at most {@code batchSize} images, each batch's
     * arrays in a sub-manager of {@code manager} that is closed when its work returns.
     */
    public void forEach(int batchSize, NDManager manager, Work work) {
        for (int start = 0; start < size; start += batchSize) {
            try (NDManager batch = manager.newSubManager()) {
                work.run(start, source.pixels(start, Math.min(size, start + batchSize), batch));
            }
        }
    }

    /** ViT token states [size, N, W] of every image, {@code batchSize} per pass, owned by {@code manager}. */
    public NDArray encode(ImageTextNetwork net, int batchSize, NDManager manager) {
        NDList states = new NDList();
        forEach(batchSize, manager, (first, pixels) -> {
            NDArray s = net.encodeImage(pixels);
            s.attach(manager);
            states.add(s);
        });
        if (states.size() == 1) {
            return states.get(0);
        }
        NDArray all = NDArrays.concat(states);
        states.close();
        return all;
    }
}
