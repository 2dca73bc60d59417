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

    public NDArray apply(NDArray x) {
        return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
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
