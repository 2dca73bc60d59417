package dev.blip4j.core;

/**
 * The model cannot be used: a checkpoint or configuration file is missing, malformed, hostile,
 * or does not fit the architecture it claims (unknown key, wrong shape, refused pickle global).
 */
public class ModelException extends BlipException {

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
