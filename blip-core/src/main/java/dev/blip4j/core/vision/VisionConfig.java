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

    public VisionConfig withImageSize(int size) {
        return new VisionConfig(size, patchSize, width, depth, heads, mlpWidth, layerNormEps);
    }

    static void positive(String what, int value) {
        if (value <= 0) {
            throw new ModelException(what + " must be positive, got " + value);
        }
    }
}
