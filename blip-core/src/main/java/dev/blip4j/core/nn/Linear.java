package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.Arrays;

/**
 * {@code y = x W^T + b}, with W as PyTorch stores it: [out, in]. How the product runs depends on
 * how the weights are kept: {@link Dense} as loaded (DJL's linear, MKL), or packed once for a
 * faster kernel ({@link PackedLinear}: float32 for oneDNN, bfloat16, int8).
 */
public interface Linear {

    /** {@code x} [..., in] to [..., out], in the type of {@code x}. */
    NDArray apply(NDArray x);

    long inFeatures();

    long outFeatures();

    static Dense of(NDArray weight, NDArray bias) {
        return new Dense(weight, bias);
    }

    /**
     * One Linear computing several projections of the same input side by side, e.g. BERT's query,
     * key and value: one matrix multiply instead of three. Split the output with
     * {@code NDArray.split(parts, lastAxis)} (DJL takes no negative axis there). The fused weights
     * are new arrays owned by the first part's manager.
     */
    static Dense fuse(Dense... parts) {
        NDList weights = new NDList();
        NDList biases = new NDList();
        for (Dense p : parts) {
            if (p.inFeatures() != parts[0].inFeatures() || (p.bias() == null) != (parts[0].bias() == null)) {
                throw new IllegalArgumentException("cannot fuse Linears of different inputs: "
                        + Arrays.toString(Arrays.stream(parts).map(l -> l.weight().getShape()).toArray()));
            }
            weights.add(p.weight());
            if (p.bias() != null) {
                biases.add(p.bias());
            }
        }
        NDArray w = NDArrays.concat(weights, 0);
        NDArray b = biases.isEmpty() ? null : NDArrays.concat(biases, 0);
        return new Dense(w, b);
    }

    /**
     * Weights in the model's own type.
     *
     * @param weight [out, in]
     * @param bias [out], or {@code null} for a Linear without bias
     */
    record Dense(NDArray weight, NDArray bias) implements Linear {

        /**
         * Rows at most this many go through {@code W x^T} instead of {@code x W^T} when the layer
         * does not narrow its input: for 2 to 5 rows (the beams of a decoding step) MKL packs the
         * whole weight for {@code x W^T} and reads it about twice as slowly as one matrix-vector
         * pass, while {@code W x^T} streams it once. A narrowing layer (the feed-forward block's
         * second, 3072 to 768) is slower as {@code W x^T}, so it stays as it is. Measured on the
         * decoder's beam-3 step, same process, interleaved: 69 ms against 97 ms of thread CPU time.
         */
        static final int FEW_ROWS = 5;

        public Dense {
            if (weight.getShape().dimension() != 2) {
                throw new IllegalArgumentException("Linear weight must be [out, in], got " + weight.getShape());
            }
            if (bias != null && bias.getShape().size() != weight.getShape().get(0)) {
                throw new IllegalArgumentException(
                        "Linear bias " + bias.getShape() + " does not match weight " + weight.getShape());
            }
        }

        @Override
        public NDArray apply(NDArray x) {
            long in = inFeatures();
            long rows = x.getShape().size() / in;
            if (rows < 2 || rows > FEW_ROWS || in > outFeatures()) {
                return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
            }
            long[] shape = x.getShape().getShape().clone(); // DJL hands out its own array
            shape[shape.length - 1] = outFeatures();
            // The product's first operand is the weight, so its results would belong to the weights'
            // manager, which outlives every call: the temporaries are closed here and the result
            // handed to the input's manager, as x W^T's would be.
            NDArray out = Scoped.compute(() -> {
                // [out, rows]; the reshape of its transpose copies it row-major, as every caller expects
                NDArray y = weight.matMul(x.reshape(rows, in).transpose());
                if (bias != null) {
                    y = y.add(bias.reshape(outFeatures(), 1));
                }
                return y.transpose().reshape(shape);
            });
            out.attach(x.getManager());
            return out;
        }

        @Override
        public long inFeatures() {
            return weight.getShape().get(1);
        }

        @Override
        public long outFeatures() {
            return weight.getShape().get(0);
        }
    }
}
