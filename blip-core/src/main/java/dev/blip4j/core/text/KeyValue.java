package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * Keys and values of one attention layer, split by head: [rows, heads, tokens, headDim]. For
 * cross-attention they are projections of the image (or question) states and depend on nothing
 * else, which is why a decoder computes them once per image rather than once per step.
 */
public record KeyValue(NDArray key, NDArray value) implements AutoCloseable {

    public NDList toList() {
        return new NDList(key, value);
    }

    public long tokens() {
        return key.getShape().get(2);
    }

    @Override
    public void close() {
        key.close();
        value.close();
    }
}
