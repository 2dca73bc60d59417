package dev.blip4j.models.retrieval;

import java.nio.file.Path;
import java.util.List;

/**
 * What a build did.
 *
 * @param images images in the index afterwards
 * @param reused listed images already indexed and unchanged (same size and modification time)
 * @param added images encoded by this build (new, or changed since they were indexed)
 * @param removed entries dropped: files changed, gone, or (for a full build) no longer listed
 * @param failed listed images that could not be indexed, with why; they are not in the index
 */
public record IndexReport(int images, int reused, int added, int removed, List<Failure> failed) {

    public IndexReport {
        failed = List.copyOf(failed);
    }

    /** One image that could not be indexed. */
    public record Failure(Path image, String message) {}
}
