package dev.blip4j.core.vision;

import dev.blip4j.core.ModelException;

/**
 * Shape of BLIP's ViT ({@code models/vit.py}): ViT-B/16 is width 768, depth 12, 12 heads; ViT-L/16 is
 * 1024, 24, 16. The official code normalises with eps 1e-6; HF configs carry their own value.
 */
public record VisionConfig(int imageSize, int patchSize, int width, int depth, int heads, int mlpWidth,
        float layerNormEps) {

    public VisionConfig {
        positive("image size", imageSize);
        positive("patch size", patchSize);
        positive("vision width", width);
        positive("vision depth", depth);
        positive("vision heads", heads);
        positive("vision MLP width", mlpWidth);
        if (imageSize % patchSize != 0) {
            throw new ModelException("image size " + imageSize + " is not a multiple of the patch size " + patchSize);
        }
        if (width % heads != 0) {
            throw new ModelException("vision width " + width + " is not divisible by " + heads + " heads");
        }
        if (!(layerNormEps > 0)) {
            throw new ModelException("vision layer_norm_eps must be positive, got " + layerNormEps);
        }
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
