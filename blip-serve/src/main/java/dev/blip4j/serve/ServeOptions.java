package dev.blip4j.serve;

import dev.blip4j.core.InputException;
import dev.blip4j.models.image.ImageLoader;
import dev.blip4j.models.serving.ServiceOptions;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How {@code blip serve} listens, batches and what it refuses.
 *
 * @param host address to bind; loopback unless asked otherwise
 * @param port 0 for any free port
 * @param service batching, queue and deadline of every model's service
 * @param maxBodyBytes largest request body (and fetched image)
 * @param maxPixels largest image, width x height, checked from its header before decoding
 * @param apiKeyFile keys for {@code Authorization: Bearer}, one per line; null for an open server
 * @param allowUrlImages whether an {@code image} field may be an http(s) URL the server fetches
 * @param index a gallery index folder for {@code /v1/search}, or null
 * @param drain how long a stopping server lets requests in flight finish
 * @param httpThreads threads reading requests and decoding images (the models run on their own)
 */
public record ServeOptions(String host, int port, ServiceOptions service, long maxBodyBytes, long maxPixels,
        Path apiKeyFile, boolean allowUrlImages, Path index, Duration drain, int httpThreads) {

    public ServeOptions {
        if (port < 0 || port > 65535) {
            throw new InputException("port must be between 0 and 65535, got " + port);
        }
        if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 8) {
            throw new InputException("max body bytes must be between 1 and " + (Integer.MAX_VALUE - 8) + ", got "
                    + maxBodyBytes);
        }
        if (maxPixels < 1) {
            throw new InputException("max pixels must be positive, got " + maxPixels);
        }
        if (httpThreads < 4) {
            throw new InputException("HTTP threads must be at least 4, got " + httpThreads);
        }
    }

    /** 127.0.0.1:8080, the service defaults, 20 MiB bodies, the image loader's pixel limit, 30 s to drain. */
    public static ServeOptions defaults() {
        return new ServeOptions("127.0.0.1", 8080, ServiceOptions.defaults(), 20L << 20,
                ImageLoader.defaults().maxPixels(), null, false, null, Duration.ofSeconds(30), 32);
    }

    public ServeOptions withHost(String h) {
        return new ServeOptions(h, port, service, maxBodyBytes, maxPixels, apiKeyFile, allowUrlImages, index, drain,
                httpThreads);
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(host, p, service, maxBodyBytes, maxPixels, apiKeyFile, allowUrlImages, index, drain,
                httpThreads);
    }

    public ServeOptions withService(ServiceOptions s) {
        return new ServeOptions(host, port, s, maxBodyBytes, maxPixels, apiKeyFile, allowUrlImages, index, drain,
                httpThreads);
    }

    public ServeOptions withMaxBodyBytes(long n) {
        return new ServeOptions(host, port, service, n, maxPixels, apiKeyFile, allowUrlImages, index, drain,
                httpThreads);
    }

    public ServeOptions withMaxPixels(long n) {
        return new ServeOptions(host, port, service, maxBodyBytes, n, apiKeyFile, allowUrlImages, index, drain,
                httpThreads);
    }

    public ServeOptions withApiKeyFile(Path f) {
        return new ServeOptions(host, port, service, maxBodyBytes, maxPixels, f, allowUrlImages, index, drain,
                httpThreads);
    }

    public ServeOptions withAllowUrlImages(boolean on) {
        return new ServeOptions(host, port, service, maxBodyBytes, maxPixels, apiKeyFile, on, index, drain,
                httpThreads);
    }

    public ServeOptions withIndex(Path dir) {
        return new ServeOptions(host, port, service, maxBodyBytes, maxPixels, apiKeyFile, allowUrlImages, dir, drain,
                httpThreads);
    }

    public ServeOptions withDrain(Duration d) {
        return new ServeOptions(host, port, service, maxBodyBytes, maxPixels, apiKeyFile, allowUrlImages, index, d,
                httpThreads);
    }

    public ServeOptions withHttpThreads(int n) {
        return new ServeOptions(host, port, service, maxBodyBytes, maxPixels, apiKeyFile, allowUrlImages, index, drain,
                n);
    }
}
