package dev.blip4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Linear;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A checkpoint's tensors under their official names, turned into NDArrays on request with their
 * shapes checked. It remembers which names were taken, so that what is left over can be reported,
 * and makes one array per stored tensor, so tied weights stay one copy in memory.
 */
public final class Weights {

    private final String source;
    private final Map<String, TensorData> tensors;
    private final NDManager manager;
    private final DataType dtype;
    private final Set<String> used = new LinkedHashSet<>();
    private final Map<TensorData, NDArray> arrays = new IdentityHashMap<>();
    private final Map<List<Object>, Linear.Dense> fused = new LinkedHashMap<>();
    private final List<NDArray> computed = new java.util.ArrayList<>();
    private final Set<String> ignored = new TreeSet<>();

    /**
     * @param source the file name used in messages
     * @param raw tensors under the checkpoint's own names
     * @param dtype floating type the weights are kept in (float32 unless asked otherwise)
     */
    public Weights(String source, Map<String, TensorData> raw, Layout layout, NDManager manager, DataType dtype) {
        this(source, raw, layout, KeyNames.BLIP, manager, dtype);
    }

    /** @param names the model family's names (BLIP's or BLIP-2's) */
    public Weights(String source, Map<String, TensorData> raw, Layout layout, KeyNames names, NDManager manager,
            DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16 && dtype != DataType.FLOAT64) {
            // DJL 0.36's PyTorch engine has no bfloat16 in its type mapping: a cast to it (or a
            // softmax or zeros of it) ends the process with std::terminate. A whole-model bfloat16
            // is refused here; bfloat16 linear layers (Precision.BFLOAT16) cast inside TorchScript.
            throw new InputException("weights can be kept as float32, float16 or float64, not " + dtype
                    + (dtype == DataType.BFLOAT16 ? " (DJL 0.36 aborts the process on bfloat16 arrays; for bfloat16"
                            + " linear layers load float32 with Precision.BFLOAT16, --dtype bfloat16 in the CLI)" : ""));
        }
        this.source = source;
        this.manager = manager;
        this.dtype = dtype;
        this.tensors = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : raw.entrySet()) {
            String name = names.toOfficial(e.getKey(), layout);
            if (names.isIgnored(name)) {
                ignored.add(e.getKey());
                continue;
            }
            if (tensors.put(name, e.getValue()) != null) {
                throw new ModelException(source + ": two tensors map to the name '" + name + "'");
            }
        }
    }

    public String source() {
        return source;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** Shape of a tensor, or null when absent. */
    public long[] shape(String name) {
        TensorData t = tensors.get(name);
        return t == null ? null : t.shape();
    }

    /** Names present, in checkpoint order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** Keys skipped as unused by inference (momentum encoders, queues, buffers). */
    public Set<String> ignored() {
        return ignored;
    }

    /** The raw tensor, marked as used. */
    public TensorData data(String name) {
        TensorData t = tensors.get(name);
        if (t == null) {
            throw new ModelException(source + ": missing tensor '" + name + "'");
        }
        used.add(name);
        return t;
    }

    /**
     * The tensor as an array of the model's dtype.
     *
     * @param expected expected shape; -1 accepts any size in that dimension
     */
    public NDArray array(String name, long... expected) {
        TensorData t = data(name);
        checkShape(name, t.shape(), expected);
        return arrays.computeIfAbsent(t, data -> toArray(name, data));
    }

    /** An array made from values computed at load time (for example resized position embeddings). */
    public NDArray array(float[] values, long... shape) {
        return typed(manager.create(values, new Shape(shape)));
    }

    /**
     * Marks a tensor as used without making an array of it: a copy of a tensor that is taken under
     * another name (HF writes the LM head's bias twice).
     */
    public void skip(String name, long... expected) {
        checkShape(name, data(name).shape(), expected);
    }

    public Linear.Dense linear(String prefix, long out, long in) {
        NDArray weight = array(prefix + ".weight", out, in);
        NDArray bias = has(prefix + ".bias") ? array(prefix + ".bias", out) : null;
        return Linear.of(weight, bias);
    }

    /**
     * One Linear computing the projections of several Linears of the same input side by side (e.g.
     * BERT's key and value): their weights and biases concatenated along the output axis, so that
     * one matrix multiply does the work of several. The parts exist as arrays only while they are
     * concatenated. Parts that were fused before (tied weights) give the same Linear, so a tie stays
     * one copy in memory.
     *
     * @param out rows of each part
     */
    public Linear.Dense fused(long out, long in, String... prefixes) {
        List<Object> key = new java.util.ArrayList<>();
        for (String p : prefixes) {
            key.add(new Identity(data(p + ".weight")));
            key.add(has(p + ".bias") ? new Identity(data(p + ".bias")) : null);
        }
        return fused.computeIfAbsent(key, k -> {
            Linear.Dense[] parts = new Linear.Dense[prefixes.length];
            for (int i = 0; i < parts.length; i++) {
                String p = prefixes[i];
                parts[i] = Linear.of(part(p + ".weight", out, in), has(p + ".bias") ? part(p + ".bias", out) : null);
            }
            try {
                return Linear.fuse(parts);
            } finally {
                for (Linear.Dense part : parts) {
                    part.weight().close();
                    if (part.bias() != null) {
                        part.bias().close();
                    }
                }
            }
        });
    }

    /**
     * One [n * width] array of [width] tensors end to end, a null name standing for zeros (EVA's
     * {@code cat(q_bias, zeros, v_bias)}); the parts exist as arrays only while they are joined.
     */
    public NDArray joined(long width, String... names) {
        NDList parts = new NDList();
        try {
            for (String name : names) {
                parts.add(name == null ? manager.zeros(new Shape(width), dtype) : part(name, width));
            }
            NDArray out = NDArrays.concat(parts);
            computed.add(out);
            return out;
        } finally {
            parts.close();
        }
    }

    /** A tensor compared by identity: tied weights are one stored tensor under several names. */
    private record Identity(TensorData tensor) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Identity other && other.tensor == tensor;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(tensor);
        }
    }

    /** A tensor as a new array of its own, for the caller to close. */
    private NDArray part(String name, long... expected) {
        TensorData t = data(name);
        checkShape(name, t.shape(), expected);
        return toArray(name, t);
    }

    public LayerNorm layerNorm(String prefix, long width, float eps) {
        return new LayerNorm(array(prefix + ".weight", width), array(prefix + ".bias", width), eps);
    }

    /** Fails, naming them, when tensors remain that no part of the model took. */
    public void requireAllUsed() {
        List<String> left = tensors.keySet().stream().filter(n -> !used.contains(n)).toList();
        if (!left.isEmpty()) {
            throw unexpected(source, left);
        }
    }

    /** The error for tensors the architecture does not take, naming the first dozen. */
    static ModelException unexpected(String source, List<String> names) {
        return new ModelException(source + ": " + names.size() + " unexpected tensor(s) for this architecture: "
                + String.join(", ", names.subList(0, Math.min(12, names.size())))
                + (names.size() > 12 ? ", ..." : ""));
    }

    /** Stored tensors that two or more names share (tied weights), counted once per extra name. */
    public int tiedCount() {
        Set<TensorData> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        int tied = 0;
        for (TensorData t : tensors.values()) {
            if (!seen.add(t)) {
                tied++;
            }
        }
        return tied;
    }

    /** Elements of the distinct arrays made, i.e. the parameters the loaded model holds. */
    public long parameterCount() {
        long fusedCount = fused.values().stream()
                .mapToLong(l -> l.weight().getShape().size() + (l.bias() == null ? 0 : l.bias().getShape().size()))
                .sum();
        return arrays.values().stream().mapToLong(a -> a.getShape().size()).sum() + fusedCount
                + computed.stream().mapToLong(a -> a.getShape().size()).sum();
    }

    private void checkShape(String name, long[] actual, long[] expected) {
        boolean ok = actual.length == expected.length;
        for (int i = 0; ok && i < actual.length; i++) {
            ok = expected[i] < 0 || expected[i] == actual[i];
        }
        if (!ok) {
            throw new ModelException(source + ": tensor '" + name + "' has shape " + Arrays.toString(actual)
                    + ", expected " + Arrays.toString(expected).replace("-1", "*"));
        }
    }

    private NDArray toArray(String name, TensorData t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new ModelException(source + ": expected a floating-point weight, found " + t.dtype());
        }
        Shape shape = new Shape(t.shape());
        if (t.dtype() == DType.F32) {
            ByteBuffer data = t.data();
            requireFinite(name, t.shape(), data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer());
            if (!data.isDirect() || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                ByteBuffer direct = ByteBuffer.allocateDirect(data.remaining()).order(ByteOrder.nativeOrder());
                direct.put(data.duplicate().order(ByteOrder.LITTLE_ENDIAN));
                direct.flip();
                data = direct;
            }
            // A direct buffer becomes the tensor's memory without another copy.
            return typed(manager.create(data.duplicate().order(ByteOrder.nativeOrder()), shape, DataType.FLOAT32));
        }
        float[] values = t.toFloatArray();
        requireFinite(name, t.shape(), FloatBuffer.wrap(values));
        return typed(manager.create(values, shape));
    }

    /**
     * One pass over a weight as float32: a NaN or infinite weight makes every output it touches NaN
     * (empty captions, NaN scores), so it is refused here, by name.
     */
    private void requireFinite(String name, long[] shape, FloatBuffer values) {
        for (int i = 0, n = values.limit(); i < n; i++) {
            float v = values.get(i);
            if (!Float.isFinite(v)) {
                throw new ModelException(source + ": tensor '" + name + "' " + Arrays.toString(shape) + " holds "
                        + v + " at element " + i + "; weights must be finite");
            }
        }
    }

    /** A float32 array in the model's dtype; a float32 original that was cast is closed, not kept. */
    private NDArray typed(NDArray float32) {
        NDArray out = float32.toType(dtype, false);
        if (out != float32) {
            float32.close();
        }
        return out;
    }
}
