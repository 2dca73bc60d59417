package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.Arrays;

/**
 * {@code y = x W^T + b}, with W stored as PyTorch stores it: [out, in].
 *
 * @param weight [out, in]
 * @param bias [out], or {@code null} for a Linear without bias
 */
public record Linear(NDArray weight, NDArray bias) {

    public Linear {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("Linear weight must be [out, in], got " + weight.getShape());
        }
        if (bias != null && bias.getShape().size() != weight.getShape().get(0)) {
            throw new IllegalArgumentException(
                    "Linear bias " + bias.getShape() + " does not match weight " + weight.getShape());
        }
    }

    /**
     * Rows at most this many go through {@code W x^T} instead of {@code x W^T}: for 2 to 5 rows
     * (the beams of a decoding step) MKL packs the whole weight for {@code x W^T} and reads it
     * about twice as slowly as one matrix-vector pass, while {@code W x^T} streams it once.
     */
    static final int FEW_ROWS = 5;

    public NDArray apply(NDArray x) {
        long in = inFeatures();
        long rows = x.getShape().size() / in;
        if (rows < 2 || rows > FEW_ROWS) {
            return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
        }
        NDArray y = weight.matMul(x.reshape(rows, in).transpose()).transpose();
        if (bias != null) {
            y = y.add(bias);
        }
        long[] shape = x.getShape().getShape();
        shape[shape.length - 1] = outFeatures();
        return y.reshape(shape);
    }

    public long inFeatures() {
        return weight.getShape().get(1);
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }

    /**
     * One Linear computing several projections of the same input side by side, e.g. BERT's query,
     * key and value: one matrix multiply instead of three. Split the output with
     * {@code NDArray.split(parts, lastAxis)} (DJL takes no negative axis there). The fused weights are new arrays owned by the first part's manager.
     */
    public static Linear fuse(Linear... parts) {
        NDList weights = new NDList();
        NDList biases = new NDList();
        for (Linear p : parts) {
            if (p.inFeatures() != parts[0].inFeatures() || (p.bias == null) != (parts[0].bias == null)) {
                throw new IllegalArgumentException("cannot fuse Linears of different inputs: "
                        + Arrays.toString(Arrays.stream(parts).map(l -> l.weight.getShape()).toArray()));
            }
            weights.add(p.weight);
            if (p.bias != null) {
                biases.add(p.bias);
            }
        }
        NDArray w = NDArrays.concat(weights, 0);
        NDArray b = biases.isEmpty() ? null : NDArrays.concat(biases, 0);
        return new Linear(w, b);
    }
}
