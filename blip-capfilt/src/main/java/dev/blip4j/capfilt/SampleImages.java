package dev.blip4j.capfilt;

import dev.blip4j.core.InputException;
import dev.blip4j.models.image.ImageLoader;
import dev.blip4j.models.image.RgbImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Decodes a sample's image: its bytes (from a shard), a file, or an http(s) URL fetched with a
 * timeout and a size limit. The decoder's pixel limit applies to all three. Every failure is an
 * {@link InputException} naming the sample's image reference.
 *
 * <p>Thread-safe: the HTTP client is shared and immutable.
 */
public final class SampleImages {

    /** Largest download accepted. */
    public static final long MAX_DOWNLOAD_BYTES = 64L << 20;

    private final ImageLoader loader;
    private final Duration timeout;
    private volatile HttpClient http;

    public SampleImages(ImageLoader loader, Duration timeout) {
        this.loader = loader;
        this.timeout = timeout;
    }

    public RgbImage load(Sample s) {
        String ref = s.image() != null ? s.image() : s.key();
        try {
            if (s.imageBytes() != null) {
                return loader.load(s.imageBytes());
            }
            if (s.location() == null) {
                throw new InputException(ref + ": no image");
            }
            String lower = s.location().toLowerCase(Locale.ROOT);
            if (lower.startsWith("http://") || lower.startsWith("https://")) {
                return loader.load(download(s.location()));
            }
            return loader.load(Path.of(s.location()));
        } catch (InputException e) {
            String m = e.getMessage() == null ? "unreadable image" : e.getMessage();
            m = m.replace("<bytes>", ref);
            if (!m.startsWith(ref) && !(s.location() != null && m.startsWith(s.location()))) {
                m = ref + ": " + m;
            }
            throw new InputException(m, e);
        }
    }

    private byte[] download(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new InputException(url + ": not a valid URL", e);
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        try {
            HttpResponse<InputStream> response = client().send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new InputException(url + ": HTTP " + response.statusCode());
                }
                byte[] bytes = body.readNBytes((int) MAX_DOWNLOAD_BYTES + 1);
                if (bytes.length > MAX_DOWNLOAD_BYTES) {
                    throw new InputException(url + ": more than " + MAX_DOWNLOAD_BYTES + " bytes");
                }
                return bytes;
            }
        } catch (IOException e) {
            throw new InputException(url + ": download failed (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InputException(url + ": download interrupted", e);
        }
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                c = http;
                if (c == null) {
                    c = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL)
                            .build();
                    http = c;
                }
            }
        }
        return c;
    }
}
