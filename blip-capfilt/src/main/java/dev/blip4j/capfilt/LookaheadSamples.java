package dev.blip4j.capfilt;

import java.util.NoSuchElementException;

/** A {@link SampleIterator} that reads one sample ahead; a subclass says how to read the next. */
abstract class LookaheadSamples implements SampleIterator {

    private Sample next;

    /** Set once the file has nothing more to give: its end, or a failure already returned as a sample. */
    protected boolean done;

    /** Reads the next sample; null at the end of the file. */
    protected abstract Sample advance();

    @Override
    public final boolean hasNext() {
        if (next == null && !done) {
            next = advance();
        }
        return next != null;
    }

    @Override
    public final Sample next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Sample s = next;
        next = null;
        return s;
    }
}
