package dev.blip4j.core;

/**
 * A request cannot be served as given: an unreadable or oversized image, an empty answer list,
 * a prompt longer than the position table, an option out of range.
 */
public class InputException extends BlipException {

    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
