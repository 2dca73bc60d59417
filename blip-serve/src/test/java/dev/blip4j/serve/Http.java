package dev.blip4j.serve;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A loopback client for the server under test: requests as values, answers with their status and JSON. */
final class Http {

    /** A request: method, path with query, content type and body (null for GET). */
    record Call(String method, String path, String contentType, byte[] body, Map<String, String> headers) {

        static Call get(String path) {
            return new Call("GET", path, null, null, Map.of());
        }

        static Call json(String path, String json) {
            return new Call("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
        }

        static Call raw(String path, String contentType, byte[] body) {
            return new Call("POST", path, contentType, body, Map.of());
        }

        /** multipart/form-data: byte[] values become file parts, strings text parts; a String[] repeats a field. */
        static Call form(String path, Map<String, Object> fields) {
            String boundary = "blip4j-test-boundary-7d3f";
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            fields.forEach((name, value) -> {
                Object[] values = value instanceof String[] many ? many : new Object[] {value};
                for (Object v : values) {
                    write(out, "--" + boundary + "\r\n");
                    if (v instanceof byte[] bytes) {
                        write(out, "Content-Disposition: form-data; name=\"" + name + "\"; filename=\"image.png\"\r\n"
                                + "Content-Type: image/png\r\n\r\n");
                        out.writeBytes(bytes);
                    } else {
                        write(out, "Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + v);
                    }
                    write(out, "\r\n");
                }
            });
            write(out, "--" + boundary + "--\r\n");
            return new Call("POST", path, "multipart/form-data; boundary=" + boundary, out.toByteArray(), Map.of());
        }

        Call withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Call(method, path, contentType, body, h);
        }

        private static void write(ByteArrayOutputStream out, String s) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** An answer: status, headers that matter, body text. */
    record Answer(int status, String retryAfter, String contentType, String body) {

        JsonElement json() {
            return JsonParser.parseString(body);
        }

        String error() {
            return json().getAsJsonObject().get("error").getAsString();
        }
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    Http(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    Answer send(Call call) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + call.path())).timeout(Duration.ofMinutes(2));
        if (call.body() == null) {
            b.method(call.method(), HttpRequest.BodyPublishers.noBody());
        } else {
            b.method(call.method(), HttpRequest.BodyPublishers.ofByteArray(call.body()));
        }
        if (call.contentType() != null) {
            b.header("Content-Type", call.contentType());
        }
        call.headers().forEach(b::header);
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.headers().firstValue("Retry-After").orElse(null),
                    r.headers().firstValue("Content-Type").orElse(null), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(call.method() + " " + call.path() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
