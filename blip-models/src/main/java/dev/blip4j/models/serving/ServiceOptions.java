package dev.blip4j.models.serving;

import dev.blip4j.core.InputException;
import java.time.Duration;

/**
 * How a {@link BlipService} batches and what it refuses.
 *
 * @param maxBatch images per ViT pass, and requests decoding together at most
 * @param maxWait how long an idle service waits after a request for others to share its ViT pass
 * @param maxQueue requests waiting to start at most; one more fails at once with
 *     {@link ServiceException.Reason#QUEUE_FULL}
 * @param timeout a request's deadline from its submission, queueing included; past it the request
 *     fails with {@link ServiceException.Reason#DEADLINE} and its rows leave the decoder
 */
public record ServiceOptions(int maxBatch, Duration maxWait, int maxQueue, Duration timeout) {

    public ServiceOptions {
        if (maxBatch < 1) {
            throw new InputException("max batch must be at least 1, got " + maxBatch);
        }
        if (maxWait == null || maxWait.isNegative()) {
            throw new InputException("max wait must be zero or positive, got " + maxWait);
        }
        if (maxQueue < 0) {
            throw new InputException("max queue must be zero or positive, got " + maxQueue);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InputException("the request timeout must be positive, got " + timeout);
        }
    }

    /** Batches of 8, a 5 ms window, 64 waiting requests, 60 s per request. */
    public static ServiceOptions defaults() {
        return new ServiceOptions(8, Duration.ofMillis(5), 64, Duration.ofSeconds(60));
    }

    public ServiceOptions withMaxBatch(int n) {
        return new ServiceOptions(n, maxWait, maxQueue, timeout);
    }

    public ServiceOptions withMaxWait(Duration d) {
        return new ServiceOptions(maxBatch, d, maxQueue, timeout);
    }

    public ServiceOptions withMaxQueue(int n) {
        return new ServiceOptions(maxBatch, maxWait, n, timeout);
    }

    public ServiceOptions withTimeout(Duration d) {
        return new ServiceOptions(maxBatch, maxWait, maxQueue, d);
    }
}
