package dev.blip4j.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A request's fields, from a JSON object, a multipart form or query parameters, checked against
 * what the endpoint takes: unknown fields, wrong types and values out of range are refused with a
 * message that names the field.
 */
final class RequestFields {

    /** What one field held: JSON, or the texts of form parts / query parameters, or raw image bytes. */
    private sealed interface Value permits Json, Texts, Bytes {}

    private record Json(JsonElement element) implements Value {}

    private record Texts(List<String> values) implements Value {}

    private record Bytes(List<byte[]> values) implements Value {}

    private final Map<String, Field> known;
    private final Map<String, Value> values = new LinkedHashMap<>();

    RequestFields(List<Field> fields) {
        this.known = fields.stream().collect(Collectors.toMap(Field::name, f -> f, (a, b) -> a, LinkedHashMap::new));
    }

    void putJson(JsonObject object) {
        for (Map.Entry<String, JsonElement> e : object.entrySet()) {
            put(e.getKey(), new Json(e.getValue()));
        }
    }

    void putText(String name, String value) {
        Value old = values.get(name);
        if (old instanceof Texts t) {
            t.values().add(value);
        } else {
            put(name, new Texts(new ArrayList<>(List.of(value))));
        }
    }

    void putBytes(String name, byte[] value) {
        Value old = values.get(name);
        if (old instanceof Bytes b) {
            b.values().add(value);
        } else {
            put(name, new Bytes(new ArrayList<>(List.of(value))));
        }
    }

    private void put(String name, Value value) {
        if (!known.containsKey(name)) {
            throw HttpError.badRequest("unknown field '" + name + "' (this endpoint takes " + String.join(", ", known.keySet())
                    + ")");
        }
        if (values.containsKey(name)) {
            throw HttpError.badRequest("field '" + name + "' is given twice");
        }
        values.put(name, value);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String string(String name) {
        Value v = values.get(check(name, Field.Type.STRING));
        if (v == null) {
            return null;
        }
        if (v instanceof Json j && j.element() instanceof JsonPrimitive p && p.isString()) {
            return p.getAsString();
        }
        if (v instanceof Texts t && t.values().size() == 1) {
            return t.values().get(0);
        }
        throw wrongType(name, "a string");
    }

    String requireString(String name) {
        String s = string(name);
        if (s == null) {
            throw HttpError.badRequest("missing field '" + name + "'");
        }
        return s;
    }

    Integer integer(String name, int min, int max) {
        Value v = values.get(check(name, Field.Type.INTEGER));
        if (v == null) {
            return null;
        }
        long n;
        if (v instanceof Json j && j.element() instanceof JsonPrimitive p && p.isNumber()) {
            double d = p.getAsDouble();
            if (d != Math.rint(d) || Double.isInfinite(d)) {
                throw wrongType(name, "an integer");
            }
            n = Math.abs(d) > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : (long) d;
        } else if (v instanceof Texts t && t.values().size() == 1) {
            try {
                n = Long.parseLong(t.values().get(0).strip());
            } catch (NumberFormatException e) {
                throw wrongType(name, "an integer");
            }
        } else {
            throw wrongType(name, "an integer");
        }
        if (n < min || n > max) {
            throw HttpError.badRequest("field '" + name + "' must be between " + min + " and " + max + ", got " + n);
        }
        return (int) n;
    }

    Long longValue(String name) {
        Value v = values.get(check(name, Field.Type.INTEGER));
        if (v == null) {
            return null;
        }
        try {
            if (v instanceof Json j && j.element() instanceof JsonPrimitive p && p.isNumber()) {
                return p.getAsBigDecimal().longValueExact();
            }
            if (v instanceof Texts t && t.values().size() == 1) {
                return Long.parseLong(t.values().get(0).strip());
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw wrongType(name, "a 64-bit integer");
        }
        throw wrongType(name, "an integer");
    }

    Float number(String name) {
        Value v = values.get(check(name, Field.Type.NUMBER));
        if (v == null) {
            return null;
        }
        float f;
        if (v instanceof Json j && j.element() instanceof JsonPrimitive p && p.isNumber()) {
            f = p.getAsFloat();
        } else if (v instanceof Texts t && t.values().size() == 1) {
            try {
                f = Float.parseFloat(t.values().get(0).strip());
            } catch (NumberFormatException e) {
                throw wrongType(name, "a number");
            }
        } else {
            throw wrongType(name, "a number");
        }
        if (!Float.isFinite(f)) {
            throw HttpError.badRequest("field '" + name + "' must be a finite number");
        }
        return f;
    }

    boolean bool(String name, boolean otherwise) {
        Value v = values.get(check(name, Field.Type.BOOLEAN));
        if (v == null) {
            return otherwise;
        }
        if (v instanceof Json j && j.element() instanceof JsonPrimitive p && p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (v instanceof Texts t && t.values().size() == 1) {
            switch (t.values().get(0).strip().toLowerCase(java.util.Locale.ROOT)) {
                case "true", "1", "" -> {
                    return true;
                }
                case "false", "0" -> {
                    return false;
                }
                default -> { }
            }
        }
        throw wrongType(name, "true or false");
    }

    /** An array of non-empty strings, at most {@code max} of them; null when absent. */
    List<String> strings(String name, int max) {
        Value v = values.get(check(name, Field.Type.STRINGS));
        if (v == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (v instanceof Json j && j.element() instanceof JsonArray a) {
            for (JsonElement e : a) {
                if (!(e instanceof JsonPrimitive p && p.isString())) {
                    throw wrongType(name, "an array of strings");
                }
                out.add(p.getAsString());
            }
        } else if (v instanceof Texts t) {
            out.addAll(t.values());
        } else {
            throw wrongType(name, "an array of strings");
        }
        if (out.isEmpty()) {
            throw HttpError.badRequest("field '" + name + "' is empty: give at least one");
        }
        if (out.size() > max) {
            throw HttpError.badRequest("field '" + name + "' holds " + out.size() + " items, at most " + max
                    + " are taken per request");
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).isBlank()) {
                throw HttpError.badRequest(name + "[" + i + "] is empty");
            }
        }
        return out;
    }

    /**
     * An image field as sources to read: raw bytes (form part, body) or the JSON string (base64,
     * data URL or URL); at most {@code max} of them.
     */
    List<ImageSources.Source> images(String name, int max) {
        Field f = known.get(name);
        Value v = values.get(name);
        if (v == null) {
            return null;
        }
        List<ImageSources.Source> out = new ArrayList<>();
        if (v instanceof Bytes b) {
            b.values().forEach(bytes -> out.add(new ImageSources.Source(name, bytes, null)));
        } else if (v instanceof Json j && f.type() == Field.Type.IMAGE && j.element() instanceof JsonPrimitive p
                && p.isString()) {
            out.add(new ImageSources.Source(name, null, p.getAsString()));
        } else if (v instanceof Json j && f.type() == Field.Type.IMAGES && j.element() instanceof JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof JsonPrimitive p && p.isString())) {
                    throw wrongType(name, "an array of base64 strings");
                }
                out.add(new ImageSources.Source(name + "[" + i + "]", null, p.getAsString()));
            }
        } else if (v instanceof Texts t) {
            t.values().forEach(s -> out.add(new ImageSources.Source(name, null, s)));
        } else {
            throw wrongType(name, f.type() == Field.Type.IMAGE ? "a base64 string" : "an array of base64 strings");
        }
        if (out.isEmpty()) {
            throw HttpError.badRequest("field '" + name + "' is empty: give at least one image");
        }
        if (out.size() > max || (f.type() == Field.Type.IMAGE && out.size() > 1)) {
            throw HttpError.badRequest("field '" + name + "' holds " + out.size() + " images, at most "
                    + (f.type() == Field.Type.IMAGE ? 1 : max) + " are taken");
        }
        return out;
    }

    private String check(String name, Field.Type type) {
        Field f = known.get(name);
        if (f == null || f.type() != type) {
            throw new IllegalStateException("endpoint reads " + name + " as " + type + " but declares " + f);
        }
        return name;
    }

    private static HttpError wrongType(String name, String expected) {
        return HttpError.badRequest("field '" + name + "' must be " + expected);
    }
}
