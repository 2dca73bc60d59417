package dev.blip4j.models.retrieval;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import dev.blip4j.core.InputException;
import dev.blip4j.models.config.JsonText;
import dev.blip4j.models.checkpoint.AtomicFileWriter;
import dev.blip4j.models.features.ModelIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The index's {@code manifest.json}: format, model identity, times, and one entry per image. It is
 * the index's only source of truth: a shard or token file it does not name is a leftover of an
 * interrupted build. Rewritten whole (temporary file + rename) at every commit, so readers see the
 * state before or after a chunk, never half of it.
 */
final class IndexManifest {

    static final String FILE = "manifest.json";
    static final String FORMAT = "blip4j-gallery-index";
    static final int VERSION = 1;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    final ModelIdentity model;
    final Instant created;
    Instant updated;
    long nextId;
    int nextShard;
    /** By path, in insertion order. */
    final Map<String, IndexedImage> images;

    IndexManifest(ModelIdentity model, Instant created, Instant updated, long nextId, int nextShard,
            Map<String, IndexedImage> images) {
        this.model = model;
        this.created = created;
        this.updated = updated;
        this.nextId = nextId;
        this.nextShard = nextShard;
        this.images = images;
    }

    static IndexManifest create(ModelIdentity model) {
        Instant now = Instant.now();
        return new IndexManifest(model, now, now, 0, 0, new LinkedHashMap<>());
    }

    static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    /**
     * Streams the manifest (a million-image index has a manifest of a few hundred MB: it is never
     * held as one JSON tree). Shard names are shared between the entries that name them.
     *
     * @throws InputException if the folder holds no index, or a malformed or newer one
     */
    static IndexManifest read(Path dir) {
        Path file = dir.resolve(FILE);
        try (JsonReader r = new JsonReader(Files.newBufferedReader(file, StandardCharsets.UTF_8))) {
            String format = null;
            Integer version = null;
            ModelIdentity model = null;
            Instant created = null;
            Instant updated = null;
            Long nextId = null;
            Integer nextShard = null;
            Map<String, IndexedImage> images = null;
            r.beginObject();
            while (r.hasNext()) {
                switch (r.nextName()) {
                    case "format" -> format = r.nextString();
                    case "format_version" -> version = r.nextInt();
                    case "created" -> created = Instant.parse(r.nextString());
                    case "updated" -> updated = Instant.parse(r.nextString());
                    case "model" -> model = ModelIdentity.fromJson(JsonParser.parseReader(r), file.toString());
                    case "next_id" -> nextId = r.nextLong();
                    case "next_shard" -> nextShard = r.nextInt();
                    case "images" -> {
                        if (!FORMAT.equals(format) || version == null) {
                            throw new InputException(file + ": not a gallery index manifest (format " + format + ")");
                        }
                        images = readImages(file, r);
                    }
                    default -> r.skipValue();
                }
            }
            r.endObject();
            if (!FORMAT.equals(format)) {
                throw new InputException(file + ": not a gallery index manifest (format " + format + ")");
            }
            if (version == null) {
                throw new InputException(file + ": malformed index manifest (no format_version)");
            }
            if (version != VERSION) {
                throw new InputException(file + ": index format version " + version + ", this blip4j reads version "
                        + VERSION + " (rebuild the index)");
            }
            if (model == null || created == null || updated == null || nextId == null || nextShard == null
                    || images == null) {
                throw new InputException(file + ": malformed index manifest (a field is missing)");
            }
            return new IndexManifest(model, created, updated, nextId, nextShard, images);
        } catch (NoSuchFileException e) {
            throw new InputException(dir + ": not a gallery index (no " + FILE + "; build one with blip index)");
        } catch (InputException e) {
            throw e;
        } catch (IOException | RuntimeException e) { // malformed JSON, a wrong token, a missing field
            throw new InputException(file + ": malformed index manifest (" + JsonText.problem(e) + ")", e);
        }
    }

    private static Map<String, IndexedImage> readImages(Path file, JsonReader r) throws IOException {
        Map<String, IndexedImage> images = new LinkedHashMap<>();
        Map<String, String> shards = new HashMap<>();
        r.beginArray();
        while (r.hasNext()) {
            Long id = null;
            String path = null;
            Long bytes = null;
            Long mtime = null;
            Integer width = null;
            Integer height = null;
            String shard = null;
            Integer row = null;
            String tokens = null;
            r.beginObject();
            while (r.hasNext()) {
                switch (r.nextName()) {
                    case "id" -> id = r.nextLong();
                    case "path" -> path = r.nextString();
                    case "bytes" -> bytes = r.nextLong();
                    case "mtime_ms" -> mtime = r.nextLong();
                    case "width" -> width = r.nextInt();
                    case "height" -> height = r.nextInt();
                    case "shard" -> shard = shards.computeIfAbsent(r.nextString(), s -> {
                        requireInside(file, s);
                        return s;
                    });
                    case "row" -> row = r.nextInt();
                    case "tokens" -> {
                        if (r.peek() == JsonToken.NULL) {
                            r.nextNull();
                        } else {
                            tokens = r.nextString();
                        }
                    }
                    default -> r.skipValue();
                }
            }
            r.endObject();
            if (id == null || path == null || bytes == null || mtime == null || width == null || height == null
                    || shard == null || row == null) {
                throw new InputException(file + ": malformed index manifest (an image entry lacks a field)");
            }
            IndexedImage image = new IndexedImage(id, path, bytes, mtime, width, height, shard, row, tokens);
            if (image.tokens() != null) {
                requireInside(file, image.tokens());
            }
            if (images.put(image.path(), image) != null) {
                throw new InputException(file + ": lists " + image.path() + " twice");
            }
        }
        r.endArray();
        return images;
    }

    /** Streams the manifest out through a temporary file and a rename. */
    void write(Path dir) {
        try {
            AtomicFileWriter.write(dir.resolve(FILE), tmp -> {
                try (JsonWriter w = new JsonWriter(Files.newBufferedWriter(tmp, StandardCharsets.UTF_8))) {
                    w.setIndent("  ");
                    w.setHtmlSafe(false);
                    w.beginObject();
                    w.name("format").value(FORMAT);
                    w.name("format_version").value(VERSION);
                    w.name("created").value(created.toString());
                    w.name("updated").value(updated.toString());
                    w.name("model");
                    GSON.toJson(model.toJson(), w);
                    w.name("next_id").value(nextId);
                    w.name("next_shard").value(nextShard);
                    w.name("count").value(images.size());
                    w.name("images").beginArray();
                    for (IndexedImage i : images.values()) {
                        w.beginObject();
                        w.name("id").value(i.id());
                        w.name("path").value(i.path());
                        w.name("bytes").value(i.bytes());
                        w.name("mtime_ms").value(i.modifiedMillis());
                        w.name("width").value(i.width());
                        w.name("height").value(i.height());
                        w.name("shard").value(i.shard());
                        w.name("row").value(i.row());
                        if (i.tokens() != null) {
                            w.name("tokens").value(i.tokens());
                        }
                        w.endObject();
                    }
                    w.endArray();
                    w.endObject();
                }
            });
        } catch (IOException e) {
            throw new InputException(dir + ": cannot write the index manifest (" + e.getMessage() + ")", e);
        }
    }

    /** Relative paths inside the index only: a crafted manifest must not point readers elsewhere. */
    private static void requireInside(Path file, String relative) {
        Path p = Path.of(relative).normalize();
        if (p.isAbsolute() || p.startsWith("..") || relative.isEmpty()) {
            throw new InputException(file + ": entry file '" + relative + "' is not inside the index folder");
        }
    }
}
