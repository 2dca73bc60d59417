package dev.blip4j.core;

/**
 * Base of every error blip4j reports on purpose. The message always names the thing at fault
 * (file, tensor, option) and what was expected versus found, so a user can act on it without a
 * stack trace. Messages quote files (tensor names, keys, paths), so their control characters are
 * escaped here, once for every subclass: a message is always safe to print (see {@link ControlChars}).
 */
public class BlipException extends RuntimeException {

    public BlipException(String message) {
        super(ControlChars.escape(message));
    }

    public BlipException(String message, Throwable cause) {
        super(ControlChars.escape(message), cause);
    }
}
