package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.generate.NextTokenModel;

/**
 * The official code's decoding structure on blip4j's engine, for {@code blip bench}'s
 * {@code caption-reference} task: the image states are copied once per beam and every step projects
 * them anew into every layer's cross-attention keys and values (official {@code med.py} caches only
 * self-attention). It computes the same tokens as {@link DecoderSession}, with the same kernels, so
 * the difference in time is the structure alone.
 */
public final class ReferenceDecoder implements NextTokenModel, AutoCloseable {

    private final TextTransformer decoder;
    private final LmHead head;
    private final NDManager manager;
    private final NDArray repeated;
    private final DecoderCache cache;

    /**
     * @param imageStates [B, N, width] image tokens
     * @param beams decoder rows per image
     */
    public ReferenceDecoder(TextTransformer decoder, LmHead head, NDArray imageStates, int beams) {
        this.decoder = decoder;
        this.head = head;
        this.manager = imageStates.getManager().newSubManager();
        this.repeated = perBeam(decoder, imageStates, beams, manager);
        this.cache = new DecoderCache(manager, decoder.layers().size(), DecoderCache.Growth.CONCATENATE,
                decoder.config().maxPositions());
    }

    /**
     * Every image's states copied once per beam, in the decoder's type, owned by {@code manager}:
     * what the official code and transformers hand the decoder.
     */
    static NDArray perBeam(TextTransformer decoder, NDArray imageStates, int beams, NDManager manager) {
        NDArray typed = imageStates.toType(decoder.embeddings().words().getDataType(), false);
        NDArray repeated = typed.repeat(0, beams);
        repeated.attach(manager);
        if (typed != imageStates) {
            typed.close();
        }
        return repeated;
    }

    @Override
    public float[][] next(long[][] tokens) {
        try (CrossKeyValues cross = CrossKeyValues.of(decoder, repeated, null, 1)) {
            return DecoderSession.step(decoder, head, tokens, cross, cache, manager);
        }
    }

    @Override
    public void reorder(int[] from) {
        cache.reorder(from);
    }

    @Override
    public void close() {
        cache.close();
        manager.close();
    }
}
