package dev.blip4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.generate.NextTokenModel;
import dev.blip4j.core.text.DecoderCache;
import dev.blip4j.core.text.Memory;
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
        int rows = tokens.length;
        int t = tokens[0].length;
        long[] flat = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(tokens[r], 0, flat, r * t, t);
        }
        TextTransformer decoder = net.decoder();
        try (NDManager step = manager.newSubManager();
                Memory memory = Memory.of(decoder, repeated, null, 1)) {
            NDArray hidden = decoder.step(step.create(flat, new Shape(rows, t)), memory, cache);
            float[] logits = net.lmHead().apply(hidden.get(":, -1, :")).toFloatArray();
            int vocab = logits.length / rows;
            float[][] out = new float[rows][vocab];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(logits, r * vocab, out[r], 0, vocab);
            }
            return out;
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
