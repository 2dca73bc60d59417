package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.nn.Scoped;
import java.util.ArrayList;
import java.util.List;

/**
 * The other modality a text attends to through cross-attention (image tokens, or the question
 * states for VQA answers), projected to keys and values once for every layer of a stack.
 * Building it once per image and reusing it at every decoding step is exact and removes most of
 * the cost of captioning.
 */
final class CrossKeyValues implements AutoCloseable {

    private final List<KeyValue> layers;
    private final NDArray bias;
    private final int groups;

    private CrossKeyValues(List<KeyValue> layers, NDArray bias, int groups) {
        this.layers = layers;
        this.bias = bias;
        this.groups = groups;
    }

    /**
     * @param stack the text stack that will attend (its cross-attention projections are used)
     * @param states [B, N, width] image or question states
     * @param mask [B, N] with 1 for real tokens, or null when every token counts (images)
     * @param groups consecutive text rows per state row, e.g. the beams of one image
     */
    static CrossKeyValues of(TextTransformer stack, NDArray states, NDArray mask, int groups) {
        if (groups < 1) {
            throw new IllegalArgumentException("groups must be at least 1, got " + groups);
        }
        List<KeyValue> kv = new ArrayList<>(stack.layers().size());
        for (BertLayer layer : stack.layers()) {
            if (layer.crossAttention() == null) {
                throw new IllegalStateException("this text stack has no cross-attention weights");
            }
            NDList projected = Scoped.keepAll(() -> layer.crossAttention().project(states).toList());
            kv.add(new KeyValue(projected.get(0), projected.get(1)));
        }
        NDArray bias = mask == null ? null : Scoped.keep(() -> crossBias(mask, states.getDataType()));
        return new CrossKeyValues(List.copyOf(kv), bias, groups);
    }

    /**
     * transformers' {@code invert_attention_mask}: 0 where attended, -1e9 elsewhere, as
     * [B, 1, 1, N]. (The official self-attention masks use -10000; both vanish in float32.)
     */
    static NDArray crossBias(NDArray mask, DataType dtype) {
        long b = mask.getShape().get(0);
        long n = mask.getShape().get(1);
        return mask.toType(DataType.FLOAT32, false).neg().addi(1f).muli(-1e9f).reshape(b, 1, 1, n)
                .toType(dtype, false);
    }

    /**
     * Rows reordered as beam search reorders its beams (row i becomes old row {@code from[i]}): what
     * transformers' {@code EncoderDecoderCache.reorder_cache} does to the cross-attention cache of
     * rows that each hold their own copy. Only meaningful without grouping.
     */
    CrossKeyValues reorder(int[] from) {
        if (groups != 1 || bias != null && bias.getShape().get(0) != layers.get(0).key().getShape().get(0)) {
            throw new IllegalStateException("only ungrouped per-row keys and values can be reordered");
        }
        long[] rows = new long[from.length];
        for (int i = 0; i < from.length; i++) {
            rows[i] = from[i];
        }
        List<KeyValue> moved = new ArrayList<>(layers.size());
        try (NDArray index = layers.get(0).key().getManager().create(rows)) {
            NDIndex pick = new NDIndex("{}", index);
            for (KeyValue kv : layers) {
                NDList both = Scoped.keepAll(() -> new NDList(kv.key().get(pick), kv.value().get(pick)));
                moved.add(new KeyValue(both.get(0), both.get(1)));
            }
        }
        NDArray movedBias = bias == null ? null : Scoped.keep(() -> bias.get(new NDIndex("{}", bias.getManager()
                .create(rows))));
        return new CrossKeyValues(List.copyOf(moved), movedBias, groups);
    }

    /** What the text rows attend to in layer {@code index}. */
    AttendedKeys layer(int index) {
        return new AttendedKeys(layers.get(index), bias, groups);
    }

    @Override
    public void close() {
        layers.forEach(KeyValue::close);
        if (bias != null) {
            bias.close();
        }
    }
}
