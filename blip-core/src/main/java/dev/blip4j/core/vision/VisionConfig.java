package dev.blip4j.core.vision;

import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;

/**
 * Shape of BLIP's ViT ({@code models/vit.py}): ViT-B/16 is width 768, depth 12, 12 heads; ViT-L/16 is
 * 1024, 24, 16. The official code normalises with eps 1e-6; HF configs carry their own value.
 */
public record VisionConfig(int imageSize, int patchSize, int width, int depth, int heads, int mlpWidth,
        float layerNormEps) {

    /**
     * Patches per side blip4j runs at most: 64 x 64 patches, 1024 pixels at BLIP's 16-pixel
     * patches (BLIP itself runs at 224 to 480). The position table, the tokens and the attention
     * over them grow with the square of the grid.
     */
    public static final int MAX_GRID = 64;

    /** What the attention scores of one forward pass may take, so that a batch cannot ask for tens of gigabytes. */
    public static final long MAX_ATTENTION_BYTES = 4L << 30;

    public VisionConfig {
        positive("image size", imageSize);
        positive("patch size", patchSize);
        positive("vision width", width);
        positive("vision depth", depth);
        positive("vision heads", heads);
        positive("vision MLP width", mlpWidth);
        String problem = imageSizeProblem(imageSize, patchSize);
        if (problem != null) {
            throw new ModelException(problem);
        }
        if (width % heads != 0) {
            throw new ModelException("vision width " + width + " is not divisible by " + heads + " heads");
        }
        if (!(layerNormEps > 0)) {
            throw new ModelException("vision layer_norm_eps must be positive, got " + layerNormEps);
        }
    }

    /**
     * What is wrong with running at {@code imageSize} with patches of {@code patchSize}, or null:
     * a size from a file or an option is checked here before anything is sized from it.
     */
    public static String imageSizeProblem(long imageSize, long patchSize) {
        if (imageSize <= 0) {
            return "image size must be positive, got " + imageSize;
        }
        if (imageSize % patchSize != 0) {
            return "image size " + imageSize + " is not a multiple of the patch size " + patchSize;
        }
        if (imageSize / patchSize > MAX_GRID) {
            return "image size " + imageSize + " makes a " + imageSize / patchSize + "x" + imageSize / patchSize
                    + " grid of " + patchSize + "-pixel patches, more than the " + MAX_GRID + "x" + MAX_GRID
                    + " blip4j runs (at most " + MAX_GRID * patchSize + " pixels)";
        }
        return null;
    }

    /**
     * Refuses a batch whose attention scores alone ({@code batch x heads x tokens^2} floats) would
     * take more than {@link #MAX_ATTENTION_BYTES}.
     */
    public void requireBatchFits(long batch) {
        double tokens = tokens();
        double bytes = (double) batch * heads * tokens * tokens * Float.BYTES; // a double cannot overflow here
        if (bytes > MAX_ATTENTION_BYTES) {
            throw new InputException("a batch of " + batch + " images at " + imageSize + " pixels needs "
                    + String.format(java.util.Locale.ROOT, "%.1f", bytes / (1L << 30)) + " GiB for the"
                    + " attention scores of one layer, more than the " + (MAX_ATTENTION_BYTES >> 30) + " GiB blip4j"
                    + " allows: use smaller batches or a smaller image size");
        }
    }

    /**
     * The most bytes the widest activation of one encoder pass may take (the MLP's hidden layer, or
     * the fused queries, keys and values); larger batches go through in several passes. glibc serves
     * allocations above 32 MB with fresh pages from the kernel every time, and touching them cost
     * as much as the ViT's products at batch 8 (BLIP-base: 7 MB per image; 8 images in one pass
     * took 7.0 s, in passes of 2 or 4 images 3.6 s, on 2 AVX-512 cores).
     */
    public static final long PASS_BYTES = 16L << 20;

    /** Images per encoder pass, at least 1: as many as keep the widest activation within {@link #PASS_BYTES}. */
    public int imagesPerPass() {
        long perImage = (long) tokens() * Math.max(mlpWidth, 3L * width) * Float.BYTES;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, PASS_BYTES / perImage));
    }

    /** Patches per side. */
    public int grid() {
        return imageSize / patchSize;
    }

    /** Tokens out of the encoder: one per patch plus {@code [CLS]}. */
    public int tokens() {
        return grid() * grid() + 1;
    }

    /**
     * Multiply-accumulates of one image through the encoder: patch embedding, then per block the
     * q/k/v and output projections, the two attention products and the MLP. ViT-B/16 at 384 px:
     * 55.4 G. The achieved rate against a measured matrix-multiply peak shows the distance to the
     * machine's limit.
     */
    public long macsPerImage() {
        long n = tokens();
        long w = width;
        long patches = (long) grid() * grid();
        long patchEmbed = patches * w * 3L * patchSize * patchSize;
        long projections = 4L * n * w * w;
        long attention = 2L * n * n * w;
        long mlp = 2L * n * w * mlpWidth;
        return patchEmbed + depth * (projections + attention + mlp);
    }

    public VisionConfig withImageSize(int size) {
        return new VisionConfig(size, patchSize, width, depth, heads, mlpWidth, layerNormEps);
    }

    static void positive(String what, int value) {
        if (value <= 0) {
            throw new ModelException(what + " must be positive, got " + value);
        }
    }
}
