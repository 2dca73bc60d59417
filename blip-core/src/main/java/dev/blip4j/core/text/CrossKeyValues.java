package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.nn.Scoped;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The other modality a text attends to through cross-attention (image tokens, or the question
 * states for VQA answers; NLVR2's two images), projected to keys and values once for every layer
 * of a stack. Building it once per image and reusing it at every decoding step is exact and
 * removes most of the cost of captioning.
 */
final class CrossKeyValues implements AutoCloseable {

    private final List<List<KeyValue>> layers;
    private final NDArray bias;
    private final int groups;
    private final CrossAttentionProbe probe;

    private CrossKeyValues(List<List<KeyValue>> layers, NDArray bias, int groups, CrossAttentionProbe probe) {
        this.layers = layers;
        this.bias = bias;
        this.groups = groups;
        this.probe = probe;
    }

    /**
     * @param stack the text stack that will attend (its cross-attention projections are used)
     * @param states [B, N, width] image or question states
     * @param mask [B, N] with 1 for real tokens, or null when every token counts (images)
     * @param groups consecutive text rows per state row, e.g. the beams of one image
     */
    static CrossKeyValues of(TextTransformer stack, NDArray states, NDArray mask, int groups) {
        return of(stack, List.of(states), mask, groups, null);
    }

    /**
     * @param states one [B, N, width] array per attention block of the stack's cross-attention:
     *     one for BLIP, NLVR2's two images for its twinned stack
     * @param mask [B, N] applied to every memory, or null
     * @param probe sees the cross-attention probabilities of one layer, or null
     */
    static CrossKeyValues of(TextTransformer stack, List<NDArray> states, NDArray mask, int groups,
            CrossAttentionProbe probe) {
        if (groups < 1) {
            throw new IllegalArgumentException("groups must be at least 1, got " + groups);
        }
        if (probe != null && probe.layer() >= stack.layers().size()) {
            throw new IllegalArgumentException("no layer " + probe.layer() + " in a stack of " + stack.layers().size());
        }
        if (states.stream().anyMatch(x -> x.getShape().get(0) != states.get(0).getShape().get(0))) {
            throw new IllegalArgumentException("the images of a pair need as many rows each, got "
                    + states.stream().map(x -> x.getShape().get(0)).toList());
        }
        if (stack.layers().stream().allMatch(layer -> layer.crossAttention() == null)) {
            throw new IllegalStateException("this text stack has no cross-attention weights");
        }
        List<List<KeyValue>> layers = new ArrayList<>(stack.layers().size());
        // Layers without cross-attention (every other one in BLIP-2's Q-Former) hold no keys.
        for (BertLayer layer : stack.layers()) {
            CrossAttention cross = layer.crossAttention();
            if (cross == null) {
                layers.add(List.of());
                continue;
            }
            if (cross.memories() != states.size()) {
                throw new ModelException("this text stack attends to " + cross.memories() + " image(s) per text"
                        + (cross.memories() == 2 ? " (NLVR2)" : "") + ", not " + states.size());
            }
            List<KeyValue> kv = new ArrayList<>(states.size());
            for (int i = 0; i < states.size(); i++) {
                BertAttention block = cross.blocks().get(i);
                NDArray memory = states.get(i);
                NDList projected = Scoped.keepAll(() -> {
                    KeyValue fresh = block.project(memory);
                    return new NDList(compact(fresh.key()), compact(fresh.value()));
                });
                kv.add(new KeyValue(projected.get(0), projected.get(1)));
            }
            layers.add(List.copyOf(kv));
        }
        NDArray bias = mask == null ? null : Scoped.keep(() -> crossBias(mask, states.get(0).getDataType()));
        return new CrossKeyValues(List.copyOf(layers), bias, groups, probe);
    }

    /**
     * A copy of [B, heads, N, d] laid out in that order. The projection leaves each token's heads
     * side by side, so a head's keys lie 2H floats apart; every decoding step reads them again, and
     * the products read them several times faster from consecutive memory.
     */
    private static NDArray compact(NDArray x) {
        return x.flatten().reshape(x.getShape());
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
        long[] rows = new long[from.length];
        for (int i = 0; i < from.length; i++) {
            rows[i] = from[i];
        }
        List<List<KeyValue>> moved = new ArrayList<>(layers.size());
        NDArray anyKey = layers.stream().flatMap(List::stream).findFirst().orElseThrow().key();
        if (groups != 1 || bias != null && bias.getShape().get(0) != anyKey.getShape().get(0)) {
            throw new IllegalStateException("only ungrouped per-row keys and values can be reordered");
        }
        try (NDArray index = anyKey.getManager().create(rows)) {
            NDIndex pick = new NDIndex("{}", index);
            for (List<KeyValue> layer : layers) {
                List<KeyValue> blocks = new ArrayList<>(layer.size());
                for (KeyValue kv : layer) {
                    NDList both = Scoped.keepAll(() -> new NDList(kv.key().get(pick), kv.value().get(pick)));
                    blocks.add(new KeyValue(both.get(0), both.get(1)));
                }
                moved.add(List.copyOf(blocks));
            }
        }
        NDArray movedBias = bias == null ? null : Scoped.keep(() -> bias.get(new NDIndex("{}", bias.getManager()
                .create(rows))));
        return new CrossKeyValues(List.copyOf(moved), movedBias, groups, probe);
    }

    /**
     * What the text rows attend to in layer {@code index}: one entry per attention block of the
     * layer's cross-attention (two for NLVR2's pair), with the probe when this is its layer.
     */
    List<AttendedKeys> layer(int index) {
        UnaryOperator<NDArray> seen = probe != null && probe.layer() == index ? probe.probabilities() : null;
        return layers.get(index).stream().map(kv -> new AttendedKeys(kv, bias, groups, seen)).toList();
    }

    /**
     * Layer {@code index}'s keys and values [B, heads, N, d] when this is one memory seen by no
     * probe, as a compiled step reads them; null otherwise.
     */
    KeyValue single(int index) {
        List<KeyValue> blocks = layers.get(index);
        return probe == null && blocks.size() == 1 ? blocks.get(0) : null;
    }

    /** The additive mask [B, 1, 1, N] over the memory's tokens, or null when every token is attended. */
    NDArray bias() {
        return bias;
    }

    /** Consecutive text rows per memory row. */
    int groups() {
        return groups;
    }

    @Override
    public void close() {
        layers.forEach(kv -> kv.forEach(KeyValue::close));
        if (bias != null) {
            bias.close();
        }
    }
}
