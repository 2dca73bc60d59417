package dev.blip4j.models.config;

import com.google.gson.Gson;
import com.google.gson.TypeAdapter;
import com.google.gson.TypeAdapterFactory;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON as blip4j reads and writes it. Reading: what is wrong with text Gson could not parse, in a
 * few words for an error message (Gson's own messages carry a JSON path, 255 levels of {@code [0]}
 * for a deeply nested document, and a link to its troubleshooting page). Writing: numbers that are
 * not finite become {@code null}, since {@code NaN} and {@code Infinity} are not JSON.
 */
public final class JsonText {

    /** Gson's {@code JsonReader} refuses documents nested deeper than this. */
    public static final int MAX_NESTING = 255;

    private static final Pattern POSITION = Pattern.compile(" at line (\\d+) column (\\d+)");

    private JsonText() {}

    /**
     * Writes float and double values that are NaN or infinite as {@code null} (the field stays,
     * whatever the writer does with other nulls); register it on every Gson that writes output.
     */
    public static TypeAdapterFactory finiteOrNull() {
        return new TypeAdapterFactory() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> TypeAdapter<T> create(Gson gson, TypeToken<T> type) {
                Class<?> raw = type.getRawType();
                if (raw != Double.class && raw != double.class && raw != Float.class && raw != float.class) {
                    return null;
                }
                TypeAdapter<Number> numbers = (TypeAdapter<Number>) (TypeAdapter<?>) gson.getDelegateAdapter(this, type);
                return (TypeAdapter<T>) new TypeAdapter<Number>() {
                    @Override
                    public void write(JsonWriter out, Number value) throws IOException {
                        if (value != null && !Double.isFinite(value.doubleValue())) {
                            boolean nulls = out.getSerializeNulls();
                            out.setSerializeNulls(true);
                            out.nullValue();
                            out.setSerializeNulls(nulls);
                        } else {
                            numbers.write(out, value);
                        }
                    }

                    @Override
                    public Number read(JsonReader in) throws IOException {
                        return numbers.read(in);
                    }
                };
            }
        };
    }

    /** The problem Gson found, e.g. {@code nested deeper than 255 levels at line 1, column 257}. */
    public static String problem(Throwable e) {
        Throwable root = e;
        for (int depth = 0; root.getCause() != null && depth < 8; depth++) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        m = m.lines().findFirst().orElse(m); // the second line is a link to Gson's troubleshooting page
        Matcher at = POSITION.matcher(m);
        String where = at.find() ? " at line " + at.group(1) + ", column " + at.group(2) : "";
        if (m.startsWith("Nesting limit")) {
            return "nested deeper than " + MAX_NESTING + " levels" + where;
        }
        int cut = at.find(0) ? at.start() : m.indexOf(" path $");
        String what = cut >= 0 ? m.substring(0, cut) : m;
        if (what.startsWith("Use JsonReader.setStrictness")) {
            what = "malformed JSON";
        }
        return what + where;
    }
}
