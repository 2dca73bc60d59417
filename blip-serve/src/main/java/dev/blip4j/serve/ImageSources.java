package dev.blip4j.serve;

import dev.blip4j.core.InputException;
import dev.blip4j.models.image.ImageLoader;
import dev.blip4j.models.image.RgbImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.Semaphore;

/**
 * Turns what a request gives as an image into pixels: bytes as they are, base64 (or a
 * {@code data:} URL), and an http(s) URL only when the server allows it (fetching URLs a client
 * names lets it make the server reach hosts it could not reach itself). Sizes are bounded before
 * decoding (body limit, then the loader's pixel limit from the header), and only a few images are
 * decoded at once so that concurrent large images cannot exhaust the heap.
 */
final class ImageSources {

    /** One image as given: raw bytes, or the JSON string. */
    record Source(String field, byte[] bytes, String text) {}

    private final ImageLoader loader;
    private final long maxBytes;
    private final boolean allowUrls;
    private final Semaphore decoding;
    private final HttpClient http;

    ImageSources(ImageLoader loader, long maxBytes, boolean allowUrls, int concurrentDecodes) {
        this.loader = loader;
        this.maxBytes = maxBytes;
        this.allowUrls = allowUrls;
        this.decoding = new Semaphore(concurrentDecodes);
        this.http = allowUrls ? HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build() : null;
    }

    RgbImage read(Source source) {
        byte[] bytes = source.bytes() != null ? source.bytes() : bytesOf(source.field(), source.text().strip());
        if (bytes.length == 0) {
            throw HttpError.badRequest("field '" + source.field() + "' holds no image bytes");
        }
        try {
            decoding.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "the server is stopping");
        }
        try {
            return loader.load(bytes);
        } catch (InputException e) {
            throw HttpError.badRequest("field '" + source.field() + "': " + e.getMessage());
        } finally {
            decoding.release();
        }
    }

    private byte[] bytesOf(String field, String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            if (!allowUrls) {
                throw HttpError.badRequest("field '" + field + "' is a URL: this server fetches no image from a URL "
                        + "unless it runs with --allow-url-images; send the image's bytes as base64");
            }
            return fetch(field, text);
        }
        String base64 = text;
        if (lower.startsWith("data:")) {
            int comma = text.indexOf(',');
            if (comma < 0 || !lower.substring(0, comma).endsWith(";base64")) {
                throw HttpError.badRequest("field '" + field + "' is a data URL without ';base64,'");
            }
            base64 = text.substring(comma + 1);
        }
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("field '" + field + "' is not valid base64: " + e.getMessage());
        }
    }

    private byte[] fetch(String field, String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("field '" + field + "' is not a valid URL: " + e.getMessage());
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET().build();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    throw HttpError.badRequest("field '" + field + "': fetching " + url + " gave HTTP "
                            + response.statusCode());
                }
                byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
                if (bytes.length > maxBytes) {
                    throw HttpError.badRequest("field '" + field + "': the image at " + url + " is larger than "
                            + maxBytes + " bytes");
                }
                return bytes;
            }
        } catch (IOException e) {
            throw HttpError.badRequest("field '" + field + "': cannot fetch " + url + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "the server is stopping");
        }
    }
}
