package dev.blip4j.serve;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The OpenAPI 3.0 description of the server, built from the same route and field tables the
 * server reads requests with, so it cannot list a field the server refuses or miss one it takes.
 */
final class OpenApi {

    private static final Map<String, String> SUMMARIES = Map.of(
            "/v1/caption", "Caption an image (beam search by default; greedy, nucleus sampling, several captions)",
            "/v1/itm", "Image-text matching: ITM probability and ITC cosine of each text with the image",
            "/v1/vqa", "Answer a question about an image, or rank given answers",
            "/v1/embeddings", "Normalised ITC embeddings of images and/or texts (their dot product is the ITC cosine)",
            "/v1/search", "Search the gallery index (--index) by text or by image",
            "/health", "The process is up (no authentication)",
            "/ready", "The models are loaded and the server takes requests (503 while loading or stopping)",
            "/metrics", "Prometheus metrics: requests and errors by endpoint and code, latency, batch sizes, queue depth, load time",
            "/openapi.json", "This document");

    private OpenApi() {}

    static String document(List<BlipServer.Route> routes) {
        JsonObject doc = new JsonObject();
        doc.addProperty("openapi", "3.0.3");
        JsonObject info = new JsonObject();
        info.addProperty("title", "blip serve");
        info.addProperty("version", "0.1.0");
        info.addProperty("description", "BLIP captioning, image-text matching, VQA, embeddings and search over HTTP, "
                + "concurrent requests batched. Errors are {\"error\": \"...\"}; a full queue is 503 with Retry-After.");
        doc.add("info", info);
        JsonObject paths = new JsonObject();
        for (BlipServer.Route r : routes) {
            JsonObject op = new JsonObject();
            op.addProperty("summary", SUMMARIES.get(r.path()));
            op.addProperty("operationId", r.path().replaceAll("[^a-z]+", "_").replaceAll("^_|_$", ""));
            if (r.open()) {
                op.add("security", new JsonArray());
            }
            if (r.method().equals("POST")) {
                op.add("requestBody", requestBody(r));
            }
            JsonObject responses = new JsonObject();
            responses.add("200", response(r.path().equals("/metrics") ? "text/plain" : "application/json", ok(r.path())));
            for (String code : errors(r)) {
                responses.add(code, errorResponse());
            }
            op.add("responses", responses);
            JsonObject item = new JsonObject();
            item.add(r.method().toLowerCase(Locale.ROOT), op);
            paths.add(r.path(), item);
        }
        doc.add("paths", paths);
        JsonObject components = new JsonObject();
        JsonObject schemes = new JsonObject();
        JsonObject bearer = new JsonObject();
        bearer.addProperty("type", "http");
        bearer.addProperty("scheme", "bearer");
        bearer.addProperty("description", "needed on every endpoint but /health when the server runs with --api-key-file");
        schemes.add("bearer", bearer);
        components.add("securitySchemes", schemes);
        doc.add("components", components);
        JsonArray security = new JsonArray();
        JsonObject req = new JsonObject();
        req.add("bearer", new JsonArray());
        security.add(req);
        doc.add("security", security);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(doc);
    }

    private static List<String> errors(BlipServer.Route r) {
        if (r.open()) {
            return List.of();
        }
        if (r.method().equals("GET")) {
            return r.path().equals("/ready") ? List.of("401", "503") : List.of("401");
        }
        return List.of("400", "401", "404", "413", "415", "503", "504");
    }

    private static JsonObject requestBody(BlipServer.Route r) {
        JsonObject props = new JsonObject();
        JsonObject form = new JsonObject();
        for (Field f : r.fields()) {
            JsonObject s = schema(f.type(), false);
            s.addProperty("description", f.description());
            props.add(f.name(), s);
            JsonObject fs = schema(f.type(), true);
            fs.addProperty("description", f.description());
            form.add(f.name(), fs);
        }
        JsonObject content = new JsonObject();
        content.add("application/json", media(object(props, true)));
        content.add("multipart/form-data", media(object(form, true)));
        if (r.fields().stream().anyMatch(f -> f.name().equals("image") && f.type() == Field.Type.IMAGE)) {
            JsonObject binary = type("string");
            binary.addProperty("format", "binary");
            binary.addProperty("description", "the image file itself; the other fields go in the query string");
            content.add("image/*", media(binary));
        }
        JsonObject body = new JsonObject();
        body.addProperty("required", true);
        body.add("content", content);
        return body;
    }

    private static JsonObject schema(Field.Type t, boolean form) {
        return switch (t) {
            case STRING -> type("string");
            case INTEGER -> type("integer");
            case NUMBER -> type("number");
            case BOOLEAN -> type("boolean");
            case STRINGS -> array(type("string"));
            case IMAGE -> image(form);
            case IMAGES -> array(image(form));
        };
    }

    private static JsonObject image(boolean form) {
        JsonObject s = type("string");
        s.addProperty("format", form ? "binary" : "byte");
        return s;
    }

    /** What a 200 answer holds, with the CLI's {@code --json} field names. */
    private static JsonObject ok(String path) {
        JsonObject caption = object(Map.of("caption", type("string"), "token_ids", array(type("integer")),
                "score", type("number")), false);
        JsonObject ranked = object(Map.of("answer", type("string"), "score", type("number"),
                "probability", type("number")), false);
        return switch (path) {
            case "/v1/caption" -> oneOf(caption, object(Map.of("captions", array(caption)), false));
            case "/v1/itm" -> object(Map.of("matches", array(object(Map.of("text", type("string"),
                    "itm", type("number"), "itc", nullable(type("number"))), false))), false);
            case "/v1/vqa" -> oneOf(
                    object(Map.of("question", type("string"), "answer", type("string"), "score", type("number")), false),
                    object(Map.of("question", type("string"), "answers", array(ranked)), false));
            case "/v1/embeddings" -> object(Map.of(
                    "images", array(object(Map.of("embedding", array(type("number"))), false)),
                    "texts", array(object(Map.of("text", type("string"), "embedding", array(type("number"))), false))),
                    false);
            case "/v1/search" -> object(Map.of("hits", array(object(Map.of("rank", type("integer")
                    , "path", type("string"), "score", type("number"), "itc", type("number"),
                    "itm", nullable(type("number")), "itm_logit", nullable(type("number")),
                    "error", type("string")), false))), false);
            case "/health" -> object(Map.of("status", type("string")), false);
            case "/ready" -> object(Map.of("ready", type("boolean"), "status", type("string"),
                    "models", array(object(Map.of("name", type("string"), "kinds", array(type("string")),
                            "load_seconds", type("number")), false))), false);
            case "/metrics" -> type("string");
            default -> type("object");
        };
    }

    private static JsonObject errorResponse() {
        return response("application/json", object(Map.of("error", type("string")), false));
    }

    private static JsonObject response(String mediaType, JsonObject schema) {
        JsonObject r = new JsonObject();
        r.addProperty("description", mediaType.equals("text/plain") ? "Prometheus text format" : "JSON");
        JsonObject content = new JsonObject();
        content.add(mediaType, media(schema));
        r.add("content", content);
        return r;
    }

    private static JsonObject media(JsonObject schema) {
        JsonObject m = new JsonObject();
        m.add("schema", schema);
        return m;
    }

    private static JsonObject type(String name) {
        JsonObject s = new JsonObject();
        s.addProperty("type", name);
        return s;
    }

    private static JsonObject nullable(JsonObject s) {
        s.addProperty("nullable", true);
        return s;
    }

    private static JsonObject array(JsonObject items) {
        JsonObject s = type("array");
        s.add("items", items);
        return s;
    }

    private static JsonObject object(Map<String, JsonObject> properties, boolean closed) {
        JsonObject props = new JsonObject();
        new java.util.TreeMap<>(properties).forEach(props::add);
        return object(props, closed);
    }

    private static JsonObject object(JsonObject properties, boolean closed) {
        JsonObject s = type("object");
        s.add("properties", properties);
        if (closed) {
            s.add("additionalProperties", new JsonPrimitive(false));
        }
        return s;
    }

    private static JsonObject oneOf(JsonObject a, JsonObject b) {
        JsonObject s = new JsonObject();
        JsonArray list = new JsonArray();
        list.add(a);
        list.add(b);
        s.add("oneOf", list);
        return s;
    }
}
