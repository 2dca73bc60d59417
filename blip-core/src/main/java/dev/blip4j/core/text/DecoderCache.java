package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

/**
 * The per-sequence state of a decoder: each layer's self-attention keys and values of the tokens
 * fed so far, so that a step feeds only the new token. It belongs to one generation call; the
 * model's weights stay shared and untouched, which is what makes a model safe across threads.
 */
final class DecoderCache implements AutoCloseable {

    private final NDManager manager;
    private final KeyValue[] self;
    private int length;

    DecoderCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.self = new KeyValue[layers];
    }

    /** Tokens cached so far. */
    int length() {
        return length;
    }

    /** Appends one layer's keys and values of the new tokens and returns those of the whole prefix. */
    KeyValue append(int layer, KeyValue fresh) {
        KeyValue past = self[layer];
        KeyValue all = past == null
                ? fresh
                : new KeyValue(past.key().concat(fresh.key(), 2), past.value().concat(fresh.value(), 2));
        keep(all.key());
        keep(all.value());
        if (past != null) {
            past.close();
        }
        self[layer] = all;
        return all;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Row i becomes old row {@code from[i]}: how beam search follows the beams it keeps. */
    void reorder(int[] from) {
        long[] rows = new long[from.length];
        for (int i = 0; i < from.length; i++) {
            rows[i] = from[i];
        }
        try (NDManager step = manager.newSubManager()) {
            NDIndex index = new NDIndex("{}", step.create(rows));
            for (int layer = 0; layer < self.length; layer++) {
                KeyValue old = self[layer];
                if (old == null) {
                    continue;
                }
                KeyValue moved = new KeyValue(old.key().get(index), old.value().get(index));
                keep(moved.key());
                keep(moved.value());
                old.close();
                self[layer] = moved;
            }
        }
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
