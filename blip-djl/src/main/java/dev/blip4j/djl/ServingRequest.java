package dev.blip4j.djl;

import ai.djl.modality.Input;
import ai.djl.ndarray.BytesSupplier;
import ai.djl.util.PairList;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.blip4j.core.InputException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One DJL Serving request as blip4j reads it, in one of three forms:
 * <ul>
 *   <li>the body is the image file's bytes (JPEG, PNG, WebP, BMP, GIF) and nothing else, enough
 *       for captioning;</li>
 *   <li>a JSON object body: {@code {"image": "<base64 of the image file>", "text": "a dog"}} (a
 *       {@code data:} URL works as the image too); other fields hold a string or an array of
 *       strings;</li>
 *   <li>a multipart form, which DJL Serving hands over part by part: an {@code image} file part
 *       and text parts, a name repeated for several values.</li>
 * </ul>
 *
 * @param image the encoded image
 * @param fields the other fields by name
 */
record ServingRequest(byte[] image, JsonObject fields) {

    static ServingRequest read(Input input) {
        BytesSupplier part = input.get("image");
        if (part != null) {
            JsonObject fields = new JsonObject();
            PairList<String, BytesSupplier> content = input.getContent();
            for (int i = 0; i < content.size(); i++) {
                String key = content.keyAt(i);
                if (key == null || key.equals("image")) {
                    continue;
                }
                JsonPrimitive value = new JsonPrimitive(content.valueAt(i).getAsString());
                JsonElement seen = fields.get(key);
                if (seen == null) {
                    fields.add(key, value);
                } else {
                    JsonArray many = seen.isJsonArray() ? seen.getAsJsonArray() : new JsonArray();
                    if (!seen.isJsonArray()) {
                        many.add(seen);
                        fields.add(key, many);
                    }
                    many.add(value);
                }
            }
            return new ServingRequest(part.getAsBytes(), fields);
        }
        BytesSupplier data = input.getData();
        byte[] body = data == null ? null : data.getAsBytes();
        if (body == null || body.length == 0) {
            throw new InputException("the request has no body: send the image's bytes, a JSON object"
                    + " {\"image\": \"<base64>\", ...} or a form with an image part");
        }
        if (!isJson(input, body)) {
            return new ServingRequest(body, new JsonObject());
        }
        JsonObject json;
        try {
            JsonElement e = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new InputException("the request body must be a JSON object, got " + abbreviate(e.toString()));
            }
            json = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new InputException("the request body is not valid JSON: " + e.getMessage(), e);
        }
        JsonElement image = json.remove("image");
        if (image == null || !image.isJsonPrimitive() || !image.getAsJsonPrimitive().isString()) {
            throw new InputException("the JSON request needs \"image\": the image file as a base64 string");
        }
        String encoded = image.getAsString();
        if (encoded.startsWith("data:")) {
            encoded = encoded.substring(encoded.indexOf(',') + 1);
        }
        try {
            return new ServingRequest(Base64.getMimeDecoder().decode(encoded), json);
        } catch (IllegalArgumentException e) {
            throw new InputException("\"image\" is not valid base64: " + e.getMessage(), e);
        }
    }

    private static boolean isJson(Input input, byte[] body) {
        String type = input.getProperty("Content-Type", input.getProperty("content-type", ""));
        if (type.startsWith("application/json")) {
            return true;
        }
        for (byte b : body) {
            if (!Character.isWhitespace(b)) {
                return b == '{';
            }
        }
        return false;
    }

    /**
     * Field {@code name}: one string, or an array of them.
     *
     * @throws InputException if the field is missing, empty, or holds anything else
     */
    List<String> strings(String name) {
        JsonElement e = fields.get(name);
        if (e == null) {
            throw new InputException("the request has no \"" + name + "\" (a string, or an array of strings)");
        }
        List<String> out = new ArrayList<>();
        for (JsonElement v : e.isJsonArray() ? e.getAsJsonArray() : List.of(e)) {
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new InputException("\"" + name + "\" must hold strings, got " + abbreviate(v.toString()));
            }
            out.add(v.getAsString());
        }
        if (out.isEmpty()) {
            throw new InputException("\"" + name + "\" is an empty array");
        }
        return out;
    }

    /** Whether field {@code name} is an array (the answer is then an array too). */
    boolean isArray(String name) {
        JsonElement e = fields.get(name);
        return e != null && e.isJsonArray();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
