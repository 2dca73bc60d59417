package dev.blip4j.core;

/**
 * Base of every error blip4j reports on purpose. The message always names the thing at fault
 * (file, tensor, option) and what was expected versus found, so a user can act on it without a
 * stack trace.
 */
public class BlipException extends RuntimeException {

    public BlipException(String message) {
        super(message);
    }

    public BlipException(String message, Throwable cause) {
        super(message, cause);
    }
}
