package dev.blip4j.models.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors of a PyTorch {@code state_dict()} as read from a checkpoint.
 *
 * <p>Entries that viewed the same storage region in the file (tied weights such as a decoder's
 * output projection and its word embeddings) map to the same {@link TensorData} instance, so a
 * loader can tie them again instead of holding two copies; {@code sharedTensorCount} says how many
 * entries were such aliases of an earlier one.
 *
 * @param tensors in the checkpoint's order; unmodifiable
 * @param sharedTensorCount entries whose tensor is the same instance as an earlier entry's
 * @param skippedKeys entries that were not tensors (rare: e.g. a stored int), left out of
 *     {@code tensors}; unmodifiable
 */
public record StateDict(Map<String, TensorData> tensors, int sharedTensorCount, List<String> skippedKeys) {

    public StateDict {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        skippedKeys = List.copyOf(skippedKeys);
    }

    /** The tensor stored under {@code key}, or {@code null}. */
    public TensorData get(String key) {
        return tensors.get(key);
    }
}
