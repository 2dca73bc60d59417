package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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
        if (stack.layers().stream().allMatch(layer -> layer.crossAttention() == null)) {
            throw new IllegalStateException("this text stack has no cross-attention weights");
        }
        // Layers without cross-attention (every other one in BLIP-2's Q-Former) hold no keys.
        for (BertLayer layer : stack.layers()) {
            if (layer.crossAttention() == null) {
                kv.add(null);
                continue;
            }
            NDList projected = Scoped.keepAll(() -> layer.crossAttention().project(states).toList());
            kv.add(new KeyValue(projected.get(0), projected.get(1)));
        }
        NDArray bias = mask == null ? null : Scoped.keep(() -> crossBias(mask, states.getDataType()));
        return new CrossKeyValues(java.util.Collections.unmodifiableList(kv), bias, groups);
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

    /** What the text rows attend to in layer {@code index}. */
    AttendedKeys layer(int index) {
        return new AttendedKeys(layers.get(index), bias, groups);
    }

    @Override
    public void close() {
        layers.stream().filter(java.util.Objects::nonNull).forEach(KeyValue::close);
        if (bias != null) {
            bias.close();
        }
    }
}
