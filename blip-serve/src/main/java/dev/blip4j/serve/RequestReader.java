package dev.blip4j.serve;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * Reads a request into {@link RequestFields}: query parameters, and a body that is JSON (an
 * object), a multipart form (file parts for images, text parts for the rest) or the image itself
 * ({@code image/*}, {@code application/octet-stream}). The body is capped before it is read whole.
 */
final class RequestReader {

    private static final int JSON_NESTING = 32;
    /** How much of a body past the limit is read and dropped so that the 413 reaches the client. */
    private static final long DRAIN_BYTES = 16L << 20;

    private final long maxBytes;

    RequestReader(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    RequestFields read(Request request, List<Field> fields) {
        RequestFields out = new RequestFields(fields);
        Fields query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        for (Fields.Field q : query) {
            for (String v : q.getValues()) {
                out.putText(q.getName(), v);
            }
        }
        byte[] body = body(request);
        if (body.length == 0) {
            return out;
        }
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        String mime = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (mime.equals("application/json") || mime.endsWith("+json")) {
            out.putJson(json(body));
        } else if (mime.equals("multipart/form-data")) {
            form(type, body, fields, out);
        } else if (mime.startsWith("image/") || mime.equals("application/octet-stream")) {
            if (fields.stream().noneMatch(f -> f.name().equals("image"))) {
                throw new HttpError(415, "this endpoint takes JSON or a form, not an image body");
            }
            out.putBytes("image", body);
        } else {
            throw new HttpError(415, "unsupported content type '" + (type == null ? "" : type)
                    + "': send application/json, multipart/form-data or the image (image/*)");
        }
        return out;
    }

    private byte[] body(Request request) {
        long declared = request.getLength();
        try (InputStream in = Content.Source.asInputStream(request)) {
            if (declared > maxBytes + DRAIN_BYTES) {
                throw tooLarge(declared + " bytes");
            }
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                drain(in);
                throw tooLarge(declared >= 0 ? declared + " bytes" : "more bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw HttpError.badRequest("cannot read the request body: " + e.getMessage());
        }
    }

    /**
     * Reads and drops what is left of a body that will not be used (within reason), so that the
     * connection can carry the answer: a socket closed on unread bytes is reset, and a reset can
     * take the answer with it before the client reads it.
     *
     * @return whether the whole body was read (else the connection must close after the answer)
     */
    static boolean drain(Request request) {
        try (InputStream in = Content.Source.asInputStream(request)) {
            return drain(in);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean drain(InputStream in) throws IOException {
        byte[] drop = new byte[1 << 16];
        long dropped = 0;
        for (int n; (n = in.read(drop)) > 0; ) {
            dropped += n;
            if (dropped > DRAIN_BYTES) {
                return false;
            }
        }
        return true;
    }

    private HttpError tooLarge(String size) {
        return new HttpError(413, "the request body has " + size + ", more than the " + maxBytes
                + " this server takes (--max-body-bytes)");
    }

    private static JsonObject json(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw HttpError.badRequest("malformed JSON: the body is not UTF-8");
        }
        JsonElement e;
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            reader.setNestingLimit(JSON_NESTING);
            e = JsonParser.parseReader(reader);
            if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
                throw HttpError.badRequest("malformed JSON: more after the object");
            }
        } catch (JsonParseException | IOException | IllegalStateException | StackOverflowError x) {
            throw HttpError.badRequest("malformed JSON: " + message(x));
        }
        if (!(e instanceof JsonObject o)) {
            throw HttpError.badRequest("the JSON body must be an object, got " + (e.isJsonArray() ? "an array" : "a value"));
        }
        return o;
    }

    private void form(String contentType, byte[] body, List<Field> fields, RequestFields out) {
        String boundary = MultiPart.extractBoundary(contentType);
        if (boundary == null || boundary.isEmpty()) {
            throw HttpError.badRequest("a multipart/form-data body needs a boundary in its Content-Type");
        }
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        parser.setMaxLength(maxBytes);
        parser.setMaxParts(Endpoints.MAX_TEXTS + Endpoints.MAX_IMAGES + 32);
        parser.setMaxMemoryFileSize(maxBytes);
        parser.setUseFilesForPartsWithoutFileName(false);
        MultiPartFormData.Parts parts;
        try {
            parts = parser.parse(Content.Source.from(ByteBuffer.wrap(body))).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw HttpError.badRequest("malformed multipart form: " + message(e.getCause() != null ? e.getCause() : e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "the server is stopping");
        }
        try (parts) {
            for (MultiPart.Part part : parts) {
                String name = part.getName();
                if (name == null) {
                    throw HttpError.badRequest("a form part has no name");
                }
                boolean image = fields.stream().anyMatch(f -> f.name().equals(name)
                        && (f.type() == Field.Type.IMAGE || f.type() == Field.Type.IMAGES));
                if (image) {
                    try {
                        ByteBuffer buffer = Content.Source.asByteBuffer(part.getContentSource());
                        byte[] bytes = new byte[buffer.remaining()];
                        buffer.get(bytes);
                        out.putBytes(name, bytes);
                    } catch (IOException e) {
                        throw HttpError.badRequest("cannot read form part '" + name + "': " + e.getMessage());
                    }
                } else {
                    out.putText(name, part.getContentAsString(StandardCharsets.UTF_8));
                }
            }
        }
    }

    /** The innermost message: Gson wraps its reader's exceptions with their class name in front. */
    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
