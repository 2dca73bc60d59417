package dev.blip4j.models.retrieval;

import java.nio.file.Path;

/**
 * Hears how a build goes. Called on the building thread; an exception thrown here stops the build
 * and is passed on to the caller, leaving every chunk committed so far in the index (a later build
 * resumes from there).
 */
public interface IndexListener {

    /** Does nothing. */
    IndexListener NONE = (done, total, image) -> {};

    /**
     * @param done images handled so far in this build (indexed or skipped)
     * @param total images this build has to handle (not those reused unchanged)
     * @param image the image just handled
     */
    void progress(int done, int total, Path image);

    /** An image was skipped: unreadable, undecodable or gone. */
    default void skipped(Path image, String reason) {}

    /** A listed image is in the index already, unchanged: reused without being read. */
    default void reused(Path image) {}
}
