package dev.blip4j.capfilt;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The samples of a JSON Lines file: one JSON object per non-blank line with a string
 * {@code image} (a path, relative to the file's folder unless absolute, or an http(s) URL), an
 * optional string {@code text} (absent or null: the image has no web text) and any other fields,
 * which are carried through. The key is the {@code key} field, else {@code id}, else
 * {@code <file>:<line>} (1-based physical line). Bytes that are not UTF-8 are replaced, not fatal.
 */
final class JsonlSamples extends LookaheadSamples {

    private final InputFile file;
    private final Predicate<String> wanted;
    private final Path folder;
    private BufferedReader reader;
    private int line;

    JsonlSamples(InputFile file, Predicate<String> wanted) {
        this.file = file;
        this.wanted = wanted;
        Path parent = file.file().toAbsolutePath().getParent();
        this.folder = parent == null ? Path.of("") : parent;
    }

    /** A lenient UTF-8 reader: malformed bytes become U+FFFD rather than an exception. */
    static BufferedReader reader(Path p) throws IOException {
        return new BufferedReader(new InputStreamReader(Files.newInputStream(p), StandardCharsets.UTF_8));
    }

    @Override
    protected Sample advance() {
        String text;
        try {
            if (reader == null) {
                reader = reader(file.file());
            }
            do {
                text = reader.readLine();
                line++;
            } while (text != null && text.isBlank());
        } catch (IOException | UncheckedIOException e) {
            done = true;
            String key = file.name() + ":" + Math.max(line, 1);
            wanted.test(key);
            return Sample.failed(key, null, null, null, file.path() + ": cannot read (" + e.getMessage() + ")");
        }
        if (text == null) {
            done = true;
            return null;
        }
        return parse(text);
    }

    private Sample parse(String text) {
        String where = file.name() + ":" + line;
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                wanted.test(where);
                return Sample.failed(where, null, null, null, where + ": not a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            wanted.test(where);
            return Sample.failed(where, null, null, null, where + ": not valid JSON (" + e.getMessage() + ")");
        }
        String key = keyOf(o, where);
        String image = string(o.get("image"));
        boolean want = wanted.test(key);
        if (!want) {
            return Sample.failed(key, image, null, null, null);
        }
        JsonObject extra = new JsonObject();
        for (Map.Entry<String, JsonElement> f : o.entrySet()) {
            String name = f.getKey();
            if (!name.equals("image") && !name.equals("text") && !name.equals("key")) {
                extra.add(SampleReader.carriedName(name), f.getValue());
            }
        }
        JsonElement t = o.get("text");
        String webText = null;
        String error = null;
        if (t != null && !t.isJsonNull()) {
            if (t.isJsonPrimitive() && t.getAsJsonPrimitive().isString()) {
                webText = t.getAsString();
            } else {
                error = where + ": \"text\" must be a string, got " + t;
            }
        }
        JsonElement img = o.get("image");
        if (error == null && (img == null || img.isJsonNull())) {
            error = where + ": no \"image\" field";
        } else if (error == null && image == null) {
            error = where + ": \"image\" must be a string, got " + img;
        } else if (error == null && image.isBlank()) {
            error = where + ": \"image\" is empty";
        }
        if (error != null) {
            return Sample.failed(key, image, webText, extra.toString(), error);
        }
        String location;
        try {
            location = locate(image);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return Sample.failed(key, image, webText, extra.toString(), where + ": not a path or URL: " + image);
        }
        return new Sample(key, image, location, null, webText, extra.toString(), null);
    }

    /** {@code key}, else {@code id} (strings as they are, numbers as written), else the line. */
    private static String keyOf(JsonObject o, String where) {
        for (String field : new String[] {"key", "id"}) {
            JsonElement k = o.get(field);
            if (k != null && k.isJsonPrimitive()) {
                JsonPrimitive p = k.getAsJsonPrimitive();
                String s = p.getAsString();
                if (!s.isEmpty()) {
                    return s;
                }
            }
        }
        return where;
    }

    private String locate(String image) {
        String lower = image.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return image;
        }
        if (lower.startsWith("file:")) {
            return Path.of(URI.create(image)).toString();
        }
        Path p = Path.of(image);
        return p.isAbsolute() ? p.toString() : folder.resolve(p).normalize().toString();
    }

    private static String string(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
    }

    @Override
    public void close() {
        done = true;
        if (reader != null) {
            try {
                reader.close();
            } catch (IOException e) {
                // nothing was written; nothing to lose
            }
        }
    }
}
