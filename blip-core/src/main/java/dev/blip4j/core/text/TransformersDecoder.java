package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.generate.NextTokenModel;

/**
 * HuggingFace transformers' current decoding structure ({@code BlipForConditionalGeneration.generate}
 * over {@code BlipTextLMHeadModel} with an {@code EncoderDecoderCache}) on blip4j's engine, for
 * {@code blip bench}'s {@code caption-hf} task: what users run today in place of the deprecated
 * official code. The image states are repeated per beam ({@code _expand_inputs_for_generation}); at
 * the first step every layer projects every beam row's copy into cross-attention keys and values
 * and caches them; the self-attention cache grows by concatenation ({@code DynamicCache}); the
 * all-ones image mask is added to every layer's cross-attention scores; after every beam step both
 * caches, cross-attention included, are reordered by copying rows ({@code reorder_cache}). It
 * computes the same tokens as {@link DecoderSession}, with the same kernels and the same search, so
 * the difference in time is the structure alone.
 */
public final class TransformersDecoder implements NextTokenModel, AutoCloseable {

    private final TextTransformer decoder;
    private final LmHead head;
    private final NDManager manager;
    private final NDArray repeated;
    private final NDArray imageMask;
    private final DecoderCache cache;
    private CrossKeyValues cross;

    /**
     * @param imageStates [B, N, width] image tokens
     * @param beams decoder rows per image
     */
    public TransformersDecoder(TextTransformer decoder, LmHead head, NDArray imageStates, int beams) {
        this.decoder = decoder;
        this.head = head;
        this.manager = imageStates.getManager().newSubManager();
        this.repeated = ReferenceDecoder.perBeam(decoder, imageStates, beams, manager);
        Shape shape = repeated.getShape();
        this.imageMask = manager.ones(new Shape(shape.get(0), shape.get(1)), DataType.INT64);
        this.cache = new DecoderCache(manager, decoder.layers().size(), DecoderCache.Growth.CONCATENATE,
                decoder.config().maxPositions());
    }

    @Override
    public float[][] next(long[][] tokens) {
        if (cross == null) {
            cross = CrossKeyValues.of(decoder, repeated, imageMask, 1);
        }
        return DecoderSession.step(decoder, head, tokens, cross, cache, manager);
    }

    @Override
    public void reorder(int[] from) {
        cache.reorder(from);
        if (cross != null) {
            CrossKeyValues moved = cross.reorder(from);
            cross.close();
            cross = moved;
        }
    }

    @Override
    public void close() {
        if (cross != null) {
            cross.close();
        }
        cache.close();
        manager.close();
    }
}
