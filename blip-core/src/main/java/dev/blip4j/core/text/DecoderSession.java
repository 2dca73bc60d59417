package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.generate.NextTokenModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The image-grounded decoder prepared for one generation call: the image states, projected once
 * into every layer's cross-attention keys and values at the first step, and a key/value cache for
 * the text. Each {@link #next} feeds only the new tokens of every row in a single forward pass;
 * {@link #next(List, List)} steps the rows of several calls in one pass (continuous batching), each
 * call keeping its own positions, cache and image.
 *
 * <p>One thread at a time: the call that owns it, or the scheduler that steps it with others.
 */
public final class DecoderSession implements NextTokenModel, AutoCloseable {

    private final TextTransformer decoder;
    private final LmHead head;
    private final NDManager manager;
    private final NDArray states;
    private final NDArray mask;
    private final int rowsPerState;
    private final long rows;
    private final DecoderCache cache;
    private CrossKeyValues cross;

    /**
     * @param states [B, N, width] what to attend to (image tokens, or VQA question states); kept,
     *     not copied, until the first step has projected it
     * @param mask [B, N] or null (all tokens attended)
     * @param rowsPerState decoder rows per state row (beams or sequences per image)
     */
    public DecoderSession(TextTransformer decoder, LmHead head, NDArray states, NDArray mask, int rowsPerState) {
        if (rowsPerState < 1) {
            throw new IllegalArgumentException("rows per state must be at least 1, got " + rowsPerState);
        }
        this.decoder = decoder;
        this.head = head;
        this.manager = states.getManager().newSubManager();
        this.states = states;
        this.mask = mask;
        this.rowsPerState = rowsPerState;
        this.rows = states.getShape().get(0) * rowsPerState;
        this.cache = new DecoderCache(manager, decoder.layers().size(), DecoderCache.Growth.PREALLOCATE,
                decoder.config().maxPositions());
    }

    /**
     * Whether this session's steps run the decoder's layers as one compiled libtorch call
     * ({@code CompiledLayers}: float32 stacks packed for oneDNN, unless
     * {@code -Dblip4j.textLayers=java}) rather than layer by layer. The logits are the same either way.
     */
    public boolean stepsCompiled() {
        return CompiledLayers.supports(decoder);
    }

    /** Decoder rows: state rows times rows per state. */
    public long rows() {
        return rows;
    }

    @Override
    public float[][] next(long[][] tokens) {
        return next(List.of(this), java.util.Collections.singletonList(tokens)).get(0);
    }

    /**
     * One forward pass over the new tokens of the rows of several sessions of one model: the
     * step of continuous batching, where calls join and leave between steps. A session's logits
     * are those it gets stepped alone, up to the rounding of matrix products over more rows.
     *
     * @param tokens per session, [rows][t], the same t for every row of every session
     * @return per session, [rows][vocab] float32 logits of the last position
     */
    public static List<float[][]> next(List<DecoderSession> sessions, List<long[][]> tokens) {
        if (sessions.size() != tokens.size() || sessions.isEmpty()) {
            throw new IllegalArgumentException(sessions.size() + " sessions with " + tokens.size() + " token blocks");
        }
        DecoderSession first = sessions.get(0);
        List<TextTransformer.Rows> calls = new ArrayList<>(sessions.size());
        List<long[]> flat = new ArrayList<>();
        for (int s = 0; s < sessions.size(); s++) {
            DecoderSession session = sessions.get(s);
            if (session.decoder != first.decoder || session.head != first.head) {
                throw new IllegalArgumentException("sessions of different models cannot be stepped together");
            }
            long[][] own = tokens.get(s);
            if (own.length != session.rows) {
                throw new IllegalArgumentException("session " + s + " has " + session.rows + " rows, got tokens for "
                        + own.length);
            }
            calls.add(new TextTransformer.Rows(session.rows, session.cross(), session.cache));
            flat.addAll(List.of(own));
        }
        float[][] logits = step(first.decoder, first.head, flat.toArray(long[][]::new), calls, first.manager);
        List<float[][]> out = new ArrayList<>(sessions.size());
        int row = 0;
        for (DecoderSession session : sessions) {
            int n = Math.toIntExact(session.rows);
            float[][] own = new float[n][];
            System.arraycopy(logits, row, own, 0, n);
            out.add(own);
            row += n;
        }
        return out;
    }

    @Override
    public int vocabSize() {
        return Math.toIntExact(head.decoder().outFeatures());
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
        return step(decoder, head, tokens, List.of(new TextTransformer.Rows(tokens.length, cross, cache)), manager);
    }

    private static float[][] step(TextTransformer decoder, LmHead head, long[][] tokens,
            List<TextTransformer.Rows> calls, NDManager manager) {
        int rows = tokens.length;
        int t = tokens[0].length;
        long[] flat = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            if (tokens[r].length != t) {
                throw new IllegalArgumentException("row " + r + " has " + tokens[r].length + " new tokens, row 0 " + t);
            }
            System.arraycopy(tokens[r], 0, flat, r * t, t);
        }
        try (NDManager step = manager.newSubManager()) {
            NDArray hidden = decoder.step(step.create(flat, new Shape(rows, t)), calls);
            float[] logits = head.apply(hidden.get(":, -1, :")).toType(DataType.FLOAT32, false).toFloatArray();
            int vocab = logits.length / rows;
            float[][] out = new float[rows][vocab];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(logits, r * vocab, out[r], 0, vocab);
            }
            return out;
        }
    }

    /** The cross-attention keys and values, projected on the thread that steps first. */
    private CrossKeyValues cross() {
        if (cross == null) {
            DataType dtype = decoder.embeddings().words().getDataType();
            NDArray typed = states.toType(dtype, false);
            cross = CrossKeyValues.of(decoder, typed, mask, rowsPerState);
            if (typed != states) {
                typed.close();
            }
        }
        return cross;
    }

    @Override
    public void reorder(int[] from) {
        cache.reorder(from);
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
