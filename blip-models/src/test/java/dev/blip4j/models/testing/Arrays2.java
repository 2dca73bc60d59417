package dev.blip4j.models.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.models.checkpoint.TensorData;

/** Golden tensors as NDArrays. */
public final class Arrays2 {

    private Arrays2() {}

    public static NDArray floats(NDManager m, TensorData t) {
        return m.create(t.toFloatArray(), new Shape(t.shape()));
    }

    public static NDArray longs(NDManager m, TensorData t) {
        return m.create(t.toLongArray(), new Shape(t.shape()));
    }
}
