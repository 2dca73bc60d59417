package dev.blip4j.models.serving;

import dev.blip4j.core.BlipException;

/** A request the service did not run to the end, and why: a server answers 503 or 504 with it. */
public final class ServiceException extends BlipException {

    public enum Reason {
        /** The queue was full when the request came: retry later. */
        QUEUE_FULL,
        /** The service is closing or closed. */
        CLOSED,
        /** The request's deadline passed before it finished. */
        DEADLINE
    }

    private final Reason reason;

    public ServiceException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
