package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import dev.blip4j.core.nn.CompiledKernel;

/**
 * The per-sequence state of a decoder: each layer's self-attention keys and values of the tokens
 * fed so far, so that a step feeds only the new token. It belongs to one generation call; the
 * model's weights stay shared and untouched, which is what makes a model safe across threads.
 *
 * <p>blip4j's own decoding keeps every layer's keys and values in one array
 * [layers, 2, rows, heads, capacity, headDim] allocated ahead: a step writes its tokens in place and
 * attends to a view of the prefix, and beam search reorders the rows of every layer with one gather.
 * The official code and transformers instead concatenate a new array per layer at every step
 * ({@link Growth#CONCATENATE}), which the bench's reference structures keep on purpose.
 */
final class DecoderCache implements AutoCloseable {

    /** How the cache holds the prefix. */
    enum Growth {
        /** One array allocated ahead (doubling when a sequence outgrows it), written in place. */
        PREALLOCATE,
        /** A new array per layer and step ({@code torch.cat}), as {@code med.py} and transformers' DynamicCache. */
        CONCATENATE
    }

    /** Capacity of a preallocated cache before it first grows: a caption's default 20 tokens fit. */
    static final int INITIAL_CAPACITY = 32;

    private final NDManager manager;
    private final int layers;
    private final Growth growth;
    private final int maxTokens;
    /** CONCATENATE: each layer's prefix. */
    private final KeyValue[] concatenated;
    /** PREALLOCATE: [layers, 2, rows, heads, capacity, headDim], tokens [0, length) filled. */
    private NDArray slots;
    private int length;

    /**
     * @param maxTokens the longest prefix the cache will hold (the position table's size); a
     *     preallocated cache never grows past it
     */
    DecoderCache(NDManager parent, int layers, Growth growth, int maxTokens) {
        this.manager = parent.newSubManager();
        this.layers = layers;
        this.growth = growth;
        this.maxTokens = maxTokens;
        this.concatenated = new KeyValue[layers];
    }

    /** Tokens cached so far. */
    int length() {
        return length;
    }

    /**
     * Stores one layer's keys and values of the new tokens [R, heads, t, headDim] after the prefix
     * and returns those of the whole prefix, new tokens included (views into the cache when it is
     * preallocated: valid until the next append or reorder).
     */
    KeyValue append(int layer, KeyValue fresh) {
        return growth == Growth.PREALLOCATE ? write(layer, fresh) : concatenate(layer, fresh);
    }

    /** Whether this cache is one array written in place ({@link Growth#PREALLOCATE}). */
    boolean preallocated() {
        return growth == Growth.PREALLOCATE;
    }

    /**
     * The preallocated array [layers, 2, rows, heads, capacity, headDim], grown first if the next
     * {@code tokens} do not fit: where a step appends in place (here, or in {@link CompiledLayers}).
     *
     * @param rowsHeadsDims rows, heads and headDim of the keys to come
     */
    NDArray reserve(int tokens, Shape rowsHeadsDims, DataType dtype) {
        if (growth != Growth.PREALLOCATE) {
            throw new IllegalStateException("a concatenated cache has no preallocated array");
        }
        if (slots == null || length + tokens > slots.getShape().get(4)) {
            grow(rowsHeadsDims, dtype, length + tokens);
        }
        return slots;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /**
     * Row i becomes old row {@code from[i]}: how beam search follows the beams it keeps. A
     * preallocated cache moves only the rows that change; a concatenated one copies every row every
     * time, as the structures it stands for do.
     */
    void reorder(int[] from) {
        if (length == 0) {
            return;
        }
        if (growth == Growth.PREALLOCATE) {
            moveRows(from);
            return;
        }
        long[] rows = new long[from.length];
        for (int i = 0; i < from.length; i++) {
            rows[i] = from[i];
        }
        try (NDManager step = manager.newSubManager()) {
            NDIndex pick = new NDIndex("{}", step.create(rows));
            for (int layer = 0; layer < layers; layer++) {
                KeyValue old = concatenated[layer];
                KeyValue moved = new KeyValue(old.key().get(pick), old.value().get(pick));
                keep(moved.key());
                keep(moved.value());
                old.close();
                concatenated[layer] = moved;
            }
        }
    }

    /**
     * The rows that change take their sources' prefixes, every layer at once: one gather of those
     * rows into a temporary and one write back, in place. libtorch's indexing in the middle of a
     * strided array copied element by element (17 ms a step for 24 rows); index_select and
     * index_copy_ move whole [heads, length, headDim] runs.
     */
    private void moveRows(int[] from) {
        int changed = 0;
        for (int i = 0; i < from.length; i++) {
            changed += from[i] != i ? 1 : 0;
        }
        if (changed == 0) {
            return;
        }
        long[] rows = new long[changed];
        long[] sources = new long[changed];
        for (int i = 0, j = 0; i < from.length; i++) {
            if (from[i] != i) {
                rows[j] = i;
                sources[j++] = from[i];
            }
        }
        try (NDManager step = manager.newSubManager()) {
            MOVE_ROWS.get().call(slots, step.create(rows), step.create(sources), (long) length).close();
        }
    }

    private static final CompiledKernel MOVE_ROWS = new CompiledKernel("MoveCacheRows",
            "slots: Tensor, rows: Tensor, sources: Tensor, length: int", "int", """
            prefix = torch.narrow(slots, 4, 0, length)
            prefix.index_copy_(2, rows, torch.index_select(prefix, 2, sources))
            return torch.size(rows, 0)
            """);

    private KeyValue write(int layer, KeyValue fresh) {
        Shape s = fresh.key().getShape();
        reserve(Math.toIntExact(s.get(2)), new Shape(s.get(0), s.get(1), s.get(3)), fresh.key().getDataType());
        try (IValue prefix = APPEND.get().call(slots, (long) layer, (long) length, fresh.key(), fresh.value())) {
            NDList kv = prefix.toNDList((PtNDManager) fresh.key().getManager());
            return new KeyValue(kv.get(0), kv.get(1));
        }
    }

    /**
     * Writes a layer's new keys and values after the prefix and returns views of the whole prefix:
     * one native call where DJL's indexing took a dozen, which at one row cost as much time as the
     * step's arithmetic outside the products.
     */
    private static final CompiledKernel APPEND = new CompiledKernel("AppendToCache",
            "slots: Tensor, layer: int, start: int, key: Tensor, value: Tensor", "Tuple[Tensor, Tensor]", """
            both = torch.select(slots, 0, layer)
            t = torch.size(key, 2)
            torch.narrow(torch.select(both, 0, 0), 2, start, t).copy_(key)
            torch.narrow(torch.select(both, 0, 1), 2, start, t).copy_(value)
            prefix = torch.narrow(both, 3, 0, start + t)
            return (torch.select(prefix, 0, 0), torch.select(prefix, 0, 1))
            """);

    /**
     * A larger array holding the prefix: room for at least {@code tokens}, at most {@link #maxTokens}.
     *
     * @param s rows, heads, headDim
     */
    private void grow(Shape s, DataType dtype, int tokens) {
        long capacity = slots == null ? INITIAL_CAPACITY : slots.getShape().get(4) * 2;
        capacity = Math.min(Math.max(capacity, tokens), Math.max(maxTokens, tokens));
        NDArray bigger = manager.zeros(new Shape(layers, 2, s.get(0), s.get(1), capacity, s.get(2)), dtype);
        keep(bigger);
        if (slots != null) {
            NDIndex prefix = new NDIndex().addAllDim(4).addSliceDim(0, length);
            try (NDArray old = slots.get(prefix)) {
                bigger.set(prefix, old);
            }
            slots.close();
        }
        slots = bigger;
    }

    private KeyValue concatenate(int layer, KeyValue fresh) {
        KeyValue past = concatenated[layer];
        KeyValue all = past == null
                ? fresh
                : new KeyValue(past.key().concat(fresh.key(), 2), past.value().concat(fresh.value(), 2));
        keep(all.key());
        keep(all.value());
        if (past != null) {
            past.close();
        }
        concatenated[layer] = all;
        return all;
    }

    private void keep(NDArray array) {
        NDScope.unregister(array);
        array.attach(manager);
    }

    @Override
    public void close() {
        manager.close();
    }
}
