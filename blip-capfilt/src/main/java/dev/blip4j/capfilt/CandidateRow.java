package dev.blip4j.capfilt;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.Serializable;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;

/**
 * One candidate pair of the output: a sample's web text or one of its synthetic captions, with
 * the filter's scores and decision. Written as one JSON line with the fields always in this order:
 * {@code key, image, text, source, itm, itc, kept}, then {@code error} when there is one, then the
 * input's other fields in input order.
 *
 * @param key the sample's key
 * @param image the sample's image reference
 * @param text the candidate text; null for a sample that failed before it had one
 * @param source where the text comes from
 * @param itm ITM probability of "match", null when not scored
 * @param itc ITC cosine, null when not scored
 * @param kept whether the filter keeps the pair: scored, no error, {@code itm >= threshold}
 * @param error why the candidate could not be scored, else null
 * @param extra the input's other fields, a JSON object
 */
public record CandidateRow(String key, String image, String text, Source source, Double itm, Double itc,
        boolean kept, String error, String extra) implements Serializable {

    private static final long serialVersionUID = 1L;

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    /** Where a candidate text comes from. */
    public enum Source {
        /** The input's own (web) text. */
        WEB,
        /** A caption the captioner wrote. */
        SYNTHETIC;

        /** {@code web} or {@code synthetic}, as written. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Source of(String label) {
            return switch (label) {
                case "web" -> WEB;
                case "synthetic" -> SYNTHETIC;
                default -> throw new IllegalArgumentException("source must be web or synthetic, got " + label);
            };
        }
    }

    public CandidateRow {
        if (key == null || source == null) {
            throw new IllegalArgumentException("a candidate row needs a key and a source");
        }
        if (extra == null) {
            extra = Sample.NO_EXTRA;
        }
    }

    /** Whether the filter scored this candidate. */
    public boolean scored() {
        return itm != null && error == null;
    }

    /** The row as one line of JSON (no line break). */
    public String toJson() {
        StringWriter s = new StringWriter();
        try (JsonWriter w = new JsonWriter(s)) {
            w.setHtmlSafe(false);
            w.setSerializeNulls(true);
            w.beginObject();
            w.name("key").value(key);
            w.name("image").value(image);
            w.name("text").value(text);
            w.name("source").value(source.label());
            w.name("itm").value(itm);
            w.name("itc").value(itc);
            w.name("kept").value(kept);
            if (error != null) {
                w.name("error").value(error);
            }
            for (Map.Entry<String, JsonElement> f : JsonParser.parseString(extra).getAsJsonObject().entrySet()) {
                w.name(f.getKey());
                GSON.toJson(f.getValue(), w);
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    /**
     * Reads a line {@link #toJson()} wrote.
     *
     * @throws IllegalArgumentException if it is not such a line
     */
    public static CandidateRow fromJson(String line) {
        JsonObject o;
        try {
            o = JsonParser.parseString(line).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a CapFilt output row: " + abbreviate(line), e);
        }
        JsonObject extra = new JsonObject();
        for (Map.Entry<String, JsonElement> f : o.entrySet()) {
            if (!SampleReader.RESERVED.contains(f.getKey())) {
                extra.add(f.getKey(), f.getValue());
            }
        }
        try {
            return new CandidateRow(o.get("key").getAsString(), string(o.get("image")), string(o.get("text")),
                    Source.of(o.get("source").getAsString()), number(o.get("itm")), number(o.get("itc")),
                    o.get("kept").getAsBoolean(), string(o.get("error")), extra.toString());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a CapFilt output row: " + abbreviate(line), e);
        }
    }

    private static String string(JsonElement e) {
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static Double number(JsonElement e) {
        return e == null || e.isJsonNull() ? null : e.getAsDouble();
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
