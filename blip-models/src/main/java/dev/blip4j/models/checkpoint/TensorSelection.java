package dev.blip4j.models.checkpoint;

import java.util.List;
import java.util.Set;

/**
 * Which tensors of a checkpoint to read, decided from their names before any tensor data is read,
 * so that a file is refused for names the architecture does not use before they cost memory, and
 * tensors inference skips (momentum encoders, queues) are never read at all.
 */
@FunctionalInterface
public interface TensorSelection {

    /** Every tensor. */
    TensorSelection ALL = Set::copyOf;

    /**
     * @param names every tensor name of the file, in its order
     * @return the names to read
     * @throws dev.blip4j.core.ModelException to refuse the file
     */
    Set<String> select(List<String> names);
}
