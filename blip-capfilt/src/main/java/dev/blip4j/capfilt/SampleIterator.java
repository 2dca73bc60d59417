package dev.blip4j.capfilt;

import java.io.Closeable;
import java.util.Iterator;

/**
 * The samples of one input file, in file order. Reading problems never end the iteration with an
 * exception: they become samples carrying an {@link Sample#error()}. Closing releases the file.
 */
public interface SampleIterator extends Iterator<Sample>, Closeable {

    @Override
    void close();
}
