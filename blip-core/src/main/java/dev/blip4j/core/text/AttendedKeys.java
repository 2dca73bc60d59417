package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;

/**
 * What a run of consecutive rows of an attention sublayer attends to: keys and values, an additive
 * mask, and how many of those rows share each key row (the beams of one image attend to that image's
 * keys without copies). A batch is one run; rows of several generation calls stepped together are
 * one run per call, each with its own cache length and its own image.
 *
 * @param keyValue [rows / groups, heads, tokens, headDim]
 * @param bias additive mask broadcastable to [rows / groups, heads, groups * T, tokens], or null
 * @param groups consecutive query rows per key row
 * @param probe sees (and may replace) the attention probabilities of these rows, or null (Grad-CAM)
 */
record AttendedKeys(KeyValue keyValue, NDArray bias, int groups, UnaryOperator<NDArray> probe) {

    AttendedKeys(KeyValue keyValue, NDArray bias, int groups) {
        this(keyValue, bias, groups, null);
    }

    /** Query rows this run covers. */
    long rows() {
        return keyValue.key().getShape().get(0) * groups;
    }
}
