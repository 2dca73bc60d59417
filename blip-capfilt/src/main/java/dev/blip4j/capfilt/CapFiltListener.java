package dev.blip4j.capfilt;

/**
 * Progress of a {@link CapFiltRun}. An exception thrown from a callback stops the run; what was
 * committed stays, and running again continues from there.
 */
public interface CapFiltListener {

    CapFiltListener NONE = new CapFiltListener() {};

    /**
     * @param total samples in the input
     * @param done samples already committed by an earlier, interrupted run
     */
    default void started(long total, long done) {}

    /** A batch's rows were committed; {@code done} samples of {@code total} are in the output. */
    default void committed(long done, long total, int batch) {}
}
