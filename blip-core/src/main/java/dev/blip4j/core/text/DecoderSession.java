package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.generate.NextTokenModel;

/**
 * The image-grounded decoder prepared for one generation call: the image states projected once
 * into every layer's cross-attention keys and values, and a key/value cache for the text. Each
 * {@link #next} feeds only the new tokens of every row in a single forward pass.
 */
public final class DecoderSession implements NextTokenModel, AutoCloseable {

    private final TextTransformer decoder;
    private final LmHead head;
    private final NDManager manager;
    private final CrossKeyValues cross;
    private final DecoderCache cache;

    /**
     * @param states [B, N, width] what to attend to (image tokens, or VQA question states)
     * @param mask [B, N] or null (all tokens attended)
     * @param rowsPerState decoder rows per state row (beams or sequences per image)
     */
    public DecoderSession(TextTransformer decoder, LmHead head, NDArray states, NDArray mask, int rowsPerState) {
        this.decoder = decoder;
        this.head = head;
        this.manager = states.getManager().newSubManager();
        DataType dtype = decoder.embeddings().words().getDataType();
        NDArray typed = states.toType(dtype, false);
        this.cross = CrossKeyValues.of(decoder, typed, mask, rowsPerState);
        if (typed != states) {
            typed.close();
        }
        this.cache = new DecoderCache(manager, decoder.layers().size(), DecoderCache.Growth.PREALLOCATE,
                decoder.config().maxPositions());
    }

    @Override
    public float[][] next(long[][] tokens) {
        return step(decoder, head, tokens, cross, cache, manager);
    }

    /**
     * One forward pass of the decoder over the new tokens of every row, as next-token logits: the
     * step every decoding structure shares, whatever it does with the image states.
     *
     * @param tokens [rows][t], the same t for every row
     * @param manager owner of the step's temporary arrays (a sub-manager closed before returning)
     * @return [rows][vocab] float32 logits of the last position
     */
    static float[][] step(TextTransformer decoder, LmHead head, long[][] tokens, CrossKeyValues cross,
            DecoderCache cache, NDManager manager) {
        int rows = tokens.length;
        int t = tokens[0].length;
        long[] flat = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(tokens[r], 0, flat, r * t, t);
        }
        try (NDManager step = manager.newSubManager()) {
            NDArray hidden = decoder.step(step.create(flat, new Shape(rows, t)), cross, cache);
            float[] logits = head.apply(hidden.get(":, -1, :")).toType(DataType.FLOAT32, false).toFloatArray();
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
        cross.close();
        cache.close();
        manager.close();
    }
}
