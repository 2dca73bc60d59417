package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.InputException;
import dev.blip4j.core.nn.Scoped;
import java.util.ArrayList;
import java.util.List;

/**
 * BLIP's BERT stack (the {@code bert} of {@code med.py}): embeddings and layers, run in any
 * {@link MedMode}. The same code is the unimodal encoder, the image-grounded encoder and the decoder.
 */
public record TextTransformer(TextConfig config, TextEmbeddings embeddings, List<BertLayer> layers) {

    public TextTransformer {
        layers = List.copyOf(layers);
    }

    /** Whether the layers can attend to another modality (an image-grounded encoder, or a decoder). */
    public boolean crossAttends() {
        return layers.stream().anyMatch(layer -> layer.crossAttention() != null);
    }

    /** How many images (or other states) each text row attends to: 0, 1, or NLVR2's 2. */
    public int memories() {
        return layers.stream().map(BertLayer::crossAttention).filter(java.util.Objects::nonNull)
                .mapToInt(CrossAttention::memories).max().orElse(0);
    }

    /**
     * Consecutive rows of a decoder step that belong to one generation call: what they
     * cross-attend to and their key/value cache, whose length is their position.
     *
     * @param count rows
     * @param other what the rows cross-attend to, or null when the mode does not
     * @param cache the rows' key/value cache, or null for whole sequences
     */
    record Rows(long count, CrossKeyValues other, DecoderCache cache) {

        int start() {
            return cache == null ? 0 : cache.length();
        }
    }

    /**
     * Runs whole sequences.
     *
     * @param ids [B, T] token ids
     * @param mask [B, T] 1 for tokens, 0 for padding; null when nothing is padded
     * @param states [S, N, width] what to cross-attend to, in the weights' type, when
     *     {@code mode.crossAttends()} (else null): S divides B, and each state row serves B / S
     *     consecutive text rows, its keys and values computed once for all of them
     * @param statesMask [S, N] 1 for real state tokens, or null when every token counts (images)
     * @return last hidden states [B, T, H], owned by the manager of {@code ids}
     */
    public NDArray forward(NDArray ids, NDArray mask, MedMode mode, NDArray states, NDArray statesMask) {
        return forward(null, ids, mask, mode, states, statesMask);
    }

    /**
     * Runs BLIP-2's Q-Former: learned queries in front of the text. Only the queries cross-attend
     * (in the layers that have cross-attention) and they take the layers' query feed-forward.
     *
     * @param queries [B, Q, H] query embeddings, or null for text alone
     * @param ids [B, T] token ids, or null for the queries alone
     * @param mask [B, T] mask of the text (queries are always attended), or null
     * @return [B, Q + T, H], the queries' states first
     */
    public NDArray forward(NDArray queries, NDArray ids, NDArray mask, MedMode mode, NDArray states,
            NDArray statesMask) {
        return forward(queries, ids, mask, mode, states == null ? null : List.of(states), statesMask, null);
    }

    /**
     * As {@link #forward(NDArray, NDArray, NDArray, MedMode, NDArray, NDArray)}, for NLVR2's twinned
     * stack (one states array per image of the pair, each [S, N, width]) and with an optional probe
     * of one layer's cross-attention probabilities (Grad-CAM).
     */
    public NDArray forward(NDArray queries, NDArray ids, NDArray mask, MedMode mode, List<NDArray> states,
            NDArray statesMask, CrossAttentionProbe probe) {
        long rows = (queries != null ? queries : ids).getShape().get(0);
        if (!mode.crossAttends()) {
            return run(queries, ids, mask, mode, List.of(new Rows(rows, null, null)));
        }
        if (states == null || states.isEmpty()) {
            throw new IllegalArgumentException(mode + " needs the states to cross-attend to");
        }
        long stateRows = states.get(0).getShape().get(0);
        if (stateRows < 1 || rows % stateRows != 0) {
            throw new InputException(rows + " text rows cannot share " + stateRows
                    + " rows of states to attend to: the text rows must be a multiple of the state rows");
        }
        int groups = Math.toIntExact(rows / stateRows);
        try (CrossKeyValues other = CrossKeyValues.of(this, states, statesMask, groups, probe)) {
            return run(queries, ids, mask, mode, List.of(new Rows(rows, other, null)));
        }
    }

    NDArray forward(NDArray ids, NDArray mask, MedMode mode, CrossKeyValues other) {
        return run(null, ids, mask, mode, List.of(new Rows(ids.getShape().get(0), other, null)));
    }

    /**
     * Feeds new tokens after the prefix held in {@code cache} (causal, unpadded) and extends it.
     *
     * @param ids [R, t] the new tokens of every row
     * @return hidden states of the new tokens [R, t, H]
     */
    NDArray step(NDArray ids, CrossKeyValues other, DecoderCache cache) {
        return step(ids, List.of(new Rows(ids.getShape().get(0), other, cache)));
    }

    /**
     * One decoder step over the rows of several generation calls at once (continuous batching):
     * every call's rows keep their own positions, cache and image, and the layers' projections and
     * feed-forward blocks run once over all rows.
     *
     * @param ids [R, t] the new tokens of every row, the calls' rows in the order of {@code calls}
     * @param calls covering the R rows in order
     * @return hidden states of the new tokens [R, t, H]
     */
    NDArray step(NDArray ids, List<Rows> calls) {
        return run(null, ids, null, MedMode.DECODER, calls);
    }

    /** @param queries BLIP-2's learned queries in front of the text, or null */
    private NDArray run(NDArray queries, NDArray ids, NDArray mask, MedMode mode, List<Rows> calls) {
        int length = ids == null ? 0 : (int) ids.getShape().get(1);
        int q = queries == null ? 0 : (int) queries.getShape().get(1);
        for (Rows call : calls) {
            if (call.start() + length > config.maxPositions()) {
                throw new InputException("a text of " + (call.start() + length)
                        + " tokens does not fit the position table of " + config.maxPositions());
            }
            if (mode.crossAttends() && call.other() == null) {
                throw new IllegalArgumentException(mode + " needs the states to cross-attend to");
            }
        }
        NDArray out = Scoped.compute(() -> {
            NDManager manager = (queries != null ? queries : ids).getManager();
            NDArray x = queries == null ? embeddings.forward(ids, positionIds(manager, calls, length))
                    : embeddings.forwardWithQueries(queries, ids);
            // Queries are never padded: they are attended by every position, and attend to the text's.
            NDArray fullMask = q == 0 || mask == null ? mask
                    : manager.ones(new Shape(mask.getShape().get(0), q), mask.getDataType()).concat(mask, 1);
            List<NDArray> biases = new ArrayList<>(calls.size());
            for (Rows call : calls) {
                biases.add(selfAttentionBias(manager, fullMask, mode.causal(), q + length, call.start(),
                        x.getDataType()));
            }
            NDArray compiled = q == 0 ? CompiledLayers.forward(this, x, biases, mode, calls) : null;
            if (compiled != null) {
                return compiled;
            }
            for (int i = 0; i < layers.size(); i++) {
                BertLayer layer = layers.get(i);
                NDArray in = x;
                int index = i;
                x = Scoped.compute(() -> {
                    KeyValue fresh = layer.selfAttention().project(in);
                    List<AttendedKeys> self = new ArrayList<>(calls.size());
                    List<List<AttendedKeys>> cross = mode.crossAttends() ? new ArrayList<>(calls.size()) : null;
                    long row = 0;
                    for (int c = 0; c < calls.size(); c++) {
                        Rows call = calls.get(c);
                        KeyValue own = calls.size() == 1 ? fresh : rows(fresh, row, row + call.count());
                        row += call.count();
                        self.add(new AttendedKeys(call.cache() == null ? own : call.cache().append(index, own),
                                biases.get(c), 1));
                        if (cross != null) {
                            cross.add(call.other().layer(index));
                        }
                    }
                    return layer.forward(in, self, mode, cross, q);
                });
            }
            return x;
        });
        for (Rows call : calls) {
            if (call.cache() != null) {
                call.cache().advance(length);
            }
        }
        return out;
    }

    /** [t] positions when every call starts at the same one, else [R, t]. */
    private static NDArray positionIds(NDManager manager, List<Rows> calls, int length) {
        int first = calls.get(0).start();
        if (calls.stream().allMatch(c -> c.start() == first)) {
            return manager.arange(first, first + length, 1, DataType.INT64);
        }
        long total = calls.stream().mapToLong(Rows::count).sum();
        long[] positions = new long[Math.toIntExact(total * length)];
        int at = 0;
        for (Rows call : calls) {
            for (long r = 0; r < call.count(); r++) {
                for (int t = 0; t < length; t++) {
                    positions[at++] = call.start() + t;
                }
            }
        }
        return manager.create(positions, new Shape(total, length));
    }

    private static KeyValue rows(KeyValue kv, long from, long to) {
        NDIndex index = new NDIndex("{}:{}", from, to);
        return new KeyValue(kv.key().get(index), kv.value().get(index));
    }

    /**
     * The additive self-attention mask of {@code med.py}'s {@code get_extended_attention_mask}:
     * {@code (1 - allowed) * -10000}, where a token may see every unpadded token, and in causal mode
     * only those at or before its own position (every cached token is before it).
     */
    static NDArray selfAttentionBias(NDManager manager, NDArray mask, boolean causal, int length, int start,
            DataType dtype) {
        if (mask == null && (!causal || length == 1)) {
            return null;
        }
        int keys = start + length;
        NDArray allowed = manager.ones(new Shape(1, 1, length, keys));
        if (causal) {
            float[] tri = new float[length * keys];
            for (int q = 0; q < length; q++) {
                for (int k = 0; k <= start + q; k++) {
                    tri[q * keys + k] = 1f;
                }
            }
            allowed = manager.create(tri, new Shape(1, 1, length, keys));
        }
        if (mask != null) {
            long b = mask.getShape().get(0);
            allowed = allowed.mul(mask.toType(DataType.FLOAT32, false).reshape(b, 1, 1, keys));
        }
        return allowed.neg().addi(1f).muli(-10000f).toType(dtype, false);
    }
}
