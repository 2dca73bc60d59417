package dev.blip4j.models.retrieval;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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

    /** @throws InputException if the folder holds no index, or a malformed or newer one */
    static IndexManifest read(Path dir) {
        Path file = dir.resolve(FILE);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InputException(dir + ": not a gallery index (no " + FILE + "; build one with blip index)");
        } catch (IOException e) {
            throw new InputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        try {
            JsonObject o = JsonParser.parseString(text).getAsJsonObject();
            String format = o.has("format") ? o.get("format").getAsString() : null;
            if (!FORMAT.equals(format)) {
                throw new InputException(file + ": not a gallery index manifest (format " + format + ")");
            }
            int version = o.get("format_version").getAsInt();
            if (version != VERSION) {
                throw new InputException(file + ": index format version " + version + ", this blip4j reads version "
                        + VERSION + " (rebuild the index)");
            }
            ModelIdentity model = ModelIdentity.fromJson(o.get("model"), file.toString());
            Map<String, IndexedImage> images = new LinkedHashMap<>();
            for (JsonElement e : o.getAsJsonArray("images")) {
                JsonObject i = e.getAsJsonObject();
                IndexedImage image = new IndexedImage(i.get("id").getAsLong(), i.get("path").getAsString(),
                        i.get("bytes").getAsLong(), i.get("mtime_ms").getAsLong(), i.get("width").getAsInt(),
                        i.get("height").getAsInt(), i.get("shard").getAsString(), i.get("row").getAsInt(),
                        i.has("tokens") && !i.get("tokens").isJsonNull() ? i.get("tokens").getAsString() : null);
                requireInside(file, image.shard());
                if (image.tokens() != null) {
                    requireInside(file, image.tokens());
                }
                if (images.put(image.path(), image) != null) {
                    throw new InputException(file + ": lists " + image.path() + " twice");
                }
            }
            return new IndexManifest(model, Instant.parse(o.get("created").getAsString()),
                    Instant.parse(o.get("updated").getAsString()), o.get("next_id").getAsLong(),
                    o.get("next_shard").getAsInt(), images);
        } catch (InputException e) {
            throw e;
        } catch (RuntimeException e) { // JsonParseException, IllegalStateException, NPE on a missing field
            throw new InputException(file + ": malformed index manifest (" + JsonText.problem(e) + ")", e);
        }
    }

    void write(Path dir) {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("format_version", VERSION);
        o.addProperty("created", created.toString());
        o.addProperty("updated", updated.toString());
        o.add("model", model.toJson());
        o.addProperty("next_id", nextId);
        o.addProperty("next_shard", nextShard);
        o.addProperty("count", images.size());
        JsonArray list = new JsonArray();
        for (IndexedImage i : images.values()) {
            JsonObject e = new JsonObject();
            e.addProperty("id", i.id());
            e.addProperty("path", i.path());
            e.addProperty("bytes", i.bytes());
            e.addProperty("mtime_ms", i.modifiedMillis());
            e.addProperty("width", i.width());
            e.addProperty("height", i.height());
            e.addProperty("shard", i.shard());
            e.addProperty("row", i.row());
            if (i.tokens() != null) {
                e.addProperty("tokens", i.tokens());
            }
            list.add(e);
        }
        o.add("images", list);
        byte[] bytes = GSON.toJson(o).getBytes(StandardCharsets.UTF_8);
        try {
            AtomicFileWriter.write(dir.resolve(FILE), tmp -> Files.write(tmp, bytes));
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
