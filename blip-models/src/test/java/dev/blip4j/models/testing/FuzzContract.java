package dev.blip4j.models.testing;

import dev.blip4j.core.BlipException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The contract every fuzz target checks: a reader given arbitrary bytes either returns a result
 * or throws the one {@link BlipException} subtype it documents, with a message that names the
 * input. Anything else that escapes - a NullPointerException, an IndexOutOfBoundsException, an
 * OutOfMemoryError, a bare decoder exception, or this class's own AssertionError - is a finding:
 * Jazzer stops, saves the input, and the input becomes a regression case.
 */
public final class FuzzContract {

    private FuzzContract() {}

    /**
     * Runs {@code read}; returns its result, or null when it refused the input as documented.
     *
     * @param allowed the only exception type the reader may throw
     * @param name what the message must name (the file path, {@code <bytes>}, ...)
     */
    public static <T> T readOrRefuse(Class<? extends BlipException> allowed, String name, Supplier<T> read) {
        try {
            return read.get();
        } catch (BlipException e) {
            if (!allowed.isInstance(e)) {
                throw new AssertionError("expected only " + allowed.getSimpleName() + " but got "
                        + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
            }
            String m = e.getMessage();
            if (m == null || !m.contains(name) || m.strip().equals(name + ":")) {
                throw new AssertionError("message does not name the input '" + name + "' and a problem: " + m, e);
            }
            return null;
        }
    }

    /** A scratch file for readers that take a path; one per fuzz target, rewritten for every input. */
    public static Path scratch(String name) {
        try {
            Path dir = Files.createTempDirectory("blip4j-fuzz");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve(name);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code data} to {@code file}, replacing what was there. */
    public static Path write(Path file, byte[] data) {
        try {
            return Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
