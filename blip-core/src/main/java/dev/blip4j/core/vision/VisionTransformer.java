package dev.blip4j.core.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import dev.blip4j.core.InputException;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Scoped;
import java.util.List;

/**
 * BLIP's image encoder: 16x16 patches embedded by a strided convolution, a learned {@code [CLS]}
 * token in front, learned absolute positions, pre-norm blocks, a final LayerNorm. Output: one
 * vector per token, {@code [CLS]} first, then the patches row by row.
 *
 * @param patchWeight [W, 3, P, P]
 * @param clsToken [1, 1, W]
 * @param posEmbed [1, tokens, W], already resized to {@code config.imageSize()}
 */
public record VisionTransformer(VisionConfig config, NDArray patchWeight, NDArray patchBias, NDArray clsToken,
        NDArray posEmbed, List<VisionBlock> blocks, LayerNorm norm) {

    public VisionTransformer {
        blocks = List.copyOf(blocks);
    }

    /**
     * @param pixels normalised images [B, 3, S, S] with S the configured image size
     * @return [B, tokens, W], owned by the manager of {@code pixels}
     */
    public NDArray forward(NDArray pixels) {
        return forward(pixels, config.imagesPerPass());
    }

    /**
     * As {@link #forward(NDArray)}, {@code imagesPerPass} images at a time: images never interact in
     * the encoder, so passes change the arithmetic's speed, not its result.
     */
    public NDArray forward(NDArray pixels, int imagesPerPass) {
        int size = config.imageSize();
        Shape shape = pixels.getShape();
        if (shape.dimension() != 4 || shape.get(1) != 3 || shape.get(2) != size || shape.get(3) != size) {
            throw new InputException("image batch must be [B, 3, " + size + ", " + size + "], got " + shape);
        }
        long batch = shape.get(0);
        if (batch > imagesPerPass) {
            NDList passes = new NDList();
            for (long start = 0; start < batch; start += imagesPerPass) {
                try (NDArray part = pixels.get(new NDIndex("{}:{}", start, Math.min(batch, start + imagesPerPass)))) {
                    passes.add(encode(part));
                }
            }
            NDArray out = Scoped.compute(() -> NDArrays.concat(passes));
            passes.close();
            return out;
        }
        return encode(pixels);
    }

    private NDArray encode(NDArray pixels) {
        NDArray x = Scoped.keep(() -> embed(pixels));
        for (VisionBlock block : blocks) {
            NDArray in = x;
            x = Scoped.keep(() -> block.forward(in));
            in.close();
        }
        NDArray last = x;
        NDArray out = Scoped.compute(() -> norm.apply(last));
        last.close();
        return out;
    }

    private NDArray embed(NDArray pixels) {
        int p = config.patchSize();
        NDArray patches = Conv2d.conv2d(pixels, patchWeight, patchBias, new Shape(p, p))
                .singletonOrThrow()
                .flatten(2, 3)
                .transpose(0, 2, 1);
        NDArray cls = patches.getManager()
                .zeros(new Shape(pixels.getShape().get(0), 1, config.width()), patches.getDataType())
                .addi(clsToken);
        return cls.concat(patches, 1).addi(posEmbed);
    }
}
