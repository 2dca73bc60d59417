package dev.blip4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.Blip;
import dev.blip4j.core.generate.NextTokenModel;
import dev.blip4j.core.text.DecoderCache;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.core.text.CrossKeyValues;
import dev.blip4j.core.text.TextTransformer;

/**
 * The official code's decoding structure, on blip4j's engine, for {@code blip bench}'s
 * {@code caption-reference} task: the image states are copied once per beam and every step projects
 * them anew into every layer's cross-attention keys and values (official {@code med.py} caches only
 * self-attention). It computes the same tokens as {@link Blip#startDecoding}, with the same kernels,
 * so the difference in time is the structure alone.
 */
final class ReferenceDecoder implements NextTokenModel, AutoCloseable {

    private final Blip net;
    private final NDManager manager;
    private final NDArray repeated;
    private final DecoderCache cache;

    ReferenceDecoder(Blip net, NDArray imageStates, int beams) {
        this.net = net;
        this.manager = imageStates.getManager().newSubManager();
        this.repeated = imageStates.repeat(0, beams);
        repeated.attach(manager);
        this.cache = new DecoderCache(manager, net.decoder().layers().size());
    }

    @Override
    public float[][] next(long[][] tokens) {
        TextTransformer decoder = net.decoder();
        try (CrossKeyValues memory = CrossKeyValues.of(decoder, repeated, null, 1)) {
            return DecoderSession.step(decoder, net.lmHead(), tokens, memory, cache, manager);
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
