package dev.blip4j.models.features;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.blip4j.core.BlipConfig;
import dev.blip4j.core.blip2.Blip2Config;
import dev.blip4j.core.vision.VisionConfig;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Which model produced stored features: the SHA-256 of its weights file plus what decides the
 * numbers (image size, projection width). Saved with feature files and gallery indexes so that
 * features of one model are never compared with another's: two models' embedding spaces are
 * unrelated even at equal widths, and the same weights at another image size give other numbers.
 *
 * @param sha256 hex SHA-256 of the weights file (the {@code .pth} or {@code model.safetensors})
 * @param weights the weights file's absolute path when the features were made (informative only)
 * @param layout {@code original} or {@code hf}
 * @param kinds the checkpoint's kinds, lower case
 * @param imageSize the size images were resized to
 * @param embedDim ITC projection width, 0 without projections
 * @param visionWidth ViT width (the last dimension of image token states)
 * @param imageTokens tokens per image, {@code [CLS]} included
 * @param imageEmbeddings ITC vectors per image: 1 for BLIP, the learned queries for BLIP-2
 */
public record ModelIdentity(String sha256, String weights, String layout, List<String> kinds, int imageSize,
        int embedDim, int visionWidth, int imageTokens, int imageEmbeddings) {

    private static final Map<BlipModel, ModelIdentity> CACHE = new WeakHashMap<>();

    public ModelIdentity {
        kinds = List.copyOf(kinds);
    }

    /** A BLIP model's: one ITC vector per image. */
    public ModelIdentity(String sha256, String weights, String layout, List<String> kinds, int imageSize, int embedDim,
            int visionWidth, int imageTokens) {
        this(sha256, weights, layout, kinds, imageSize, embedDim, visionWidth, imageTokens, 1);
    }

    /** The identity of a loaded model; the weights file is hashed once per model instance. */
    public static ModelIdentity of(BlipModel model) {
        synchronized (CACHE) {
            ModelIdentity cached = CACHE.get(model);
            if (cached != null) {
                return cached;
            }
        }
        VisionConfig v = model.info().vision();
        Blip2Config blip2 = model.isBlip2() ? model.blip2().config() : null;
        BlipConfig c = blip2 == null ? model.network().config() : null;
        List<String> kinds = blip2 != null ? List.of("blip2")
                : c.kinds().stream().map(k -> k.name().toLowerCase(Locale.ROOT)).sorted().toList();
        Path weights = model.info().weights().toAbsolutePath().normalize();
        ModelIdentity id = new ModelIdentity(sha256(weights), weights.toString(),
                model.info().layout() == Layout.HUGGINGFACE ? "hf" : "original", kinds, v.imageSize(),
                blip2 != null ? blip2.embedDim() : c.embedDim(), v.width(), v.tokens(),
                blip2 != null ? blip2.queries() : 1);
        synchronized (CACHE) {
            CACHE.put(model, id);
        }
        return id;
    }

    /** Whether features made by {@code other} are comparable with this model's: same weights, same sizes. */
    public boolean compatibleWith(ModelIdentity other) {
        return sha256.equals(other.sha256) && imageSize == other.imageSize && embedDim == other.embedDim
                && visionWidth == other.visionWidth && imageTokens == other.imageTokens
                && imageEmbeddings == other.imageEmbeddings;
    }

    /** A one-line description naming the model, e.g. for an error message. */
    public String describe() {
        return weights + " (" + layout + " layout, " + imageSize + " px, sha256 " + sha256.substring(0, 12) + ")";
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("sha256", sha256);
        o.addProperty("weights", weights);
        o.addProperty("layout", layout);
        JsonArray k = new JsonArray();
        kinds.forEach(k::add);
        o.add("kinds", k);
        o.addProperty("image_size", imageSize);
        o.addProperty("embed_dim", embedDim);
        o.addProperty("vision_width", visionWidth);
        o.addProperty("image_tokens", imageTokens);
        o.addProperty("image_embeddings", imageEmbeddings);
        return o;
    }

    /**
     * @param where the file the JSON came from, for the message
     * @throws InputException if a field is missing or of the wrong type
     */
    public static ModelIdentity fromJson(JsonElement json, String where) {
        try {
            JsonObject o = json.getAsJsonObject();
            List<String> kinds = new ArrayList<>();
            o.getAsJsonArray("kinds").forEach(e -> kinds.add(e.getAsString()));
            return new ModelIdentity(o.get("sha256").getAsString(), o.get("weights").getAsString(),
                    o.get("layout").getAsString(), kinds, o.get("image_size").getAsInt(), o.get("embed_dim").getAsInt(),
                    o.get("vision_width").getAsInt(), o.get("image_tokens").getAsInt(),
                    o.has("image_embeddings") ? o.get("image_embeddings").getAsInt() : 1);
        } catch (RuntimeException e) {
            throw new InputException(where + ": the model identity is missing or malformed (" + e.getMessage() + ")", e);
        }
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read the weights to fingerprint them (" + e.getMessage() + ")", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
