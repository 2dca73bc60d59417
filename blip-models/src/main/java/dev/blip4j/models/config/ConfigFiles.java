package dev.blip4j.models.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the configuration files of both layouts: the official {@code med_config.json} (BERT keys)
 * with blip4j's {@code blip_config.json} (vision settings, the form the goldens use) beside a
 * {@code .pth}, or HF's {@code config.json} ({@code BlipConfig} with {@code text_config} and
 * {@code vision_config}).
 */
public final class ConfigFiles {

    public static final String MED_CONFIG = "med_config.json";
    public static final String BLIP_CONFIG = "blip_config.json";
    public static final String HF_CONFIG = "config.json";

    private ConfigFiles() {}

    /** Hints from {@code med_config.json} and {@code blip_config.json} in {@code dir}, where they exist. */
    public static ConfigHints original(Path dir) {
        JsonObject med = readIfExists(dir.resolve(MED_CONFIG));
        JsonObject blip = readIfExists(dir.resolve(BLIP_CONFIG));
        JsonObject vit = blip == null ? null : object(blip, "vit", dir.resolve(BLIP_CONFIG));
        return new ConfigHints(
                integer(blip, "image_size"), integer(vit, "patch_size"), integer(vit, "width"), integer(vit, "depth"),
                integer(vit, "heads"), mlpWidth(vit), decimal(vit, "layer_norm_eps"),
                integer(med, "vocab_size"), integer(med, "hidden_size"), integer(med, "num_hidden_layers"),
                integer(med, "num_attention_heads"), integer(med, "intermediate_size"),
                integer(med, "max_position_embeddings"), decimal(med, "layer_norm_eps"), integer(med, "encoder_width"));
    }

    /**
     * Hints from HF's {@code config.json}. A missing vision {@code layer_norm_eps} means HF's default
     * 1e-5, which is what transformers computes with (the official code uses 1e-6: see NOTES).
     */
    public static ConfigHints huggingFace(Path configJson) {
        JsonObject root = read(configJson);
        JsonObject text = object(root, "text_config", configJson);
        JsonObject vision = object(root, "vision_config", configJson);
        Float visionEps = decimal(vision, "layer_norm_eps");
        return new ConfigHints(
                integer(vision, "image_size"), integer(vision, "patch_size"), integer(vision, "hidden_size"),
                integer(vision, "num_hidden_layers"), integer(vision, "num_attention_heads"),
                integer(vision, "intermediate_size"), visionEps == null ? 1e-5f : visionEps,
                integer(text, "vocab_size"), integer(text, "hidden_size"), integer(text, "num_hidden_layers"),
                integer(text, "num_attention_heads"), integer(text, "intermediate_size"),
                integer(text, "max_position_embeddings"), decimal(text, "layer_norm_eps"),
                integer(text, "encoder_hidden_size"));
    }

    public static JsonObject read(Path file) {
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new ModelException(file + ": expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            if (e instanceof ModelException) {
                throw e;
            }
            throw new ModelException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    private static JsonObject readIfExists(Path file) {
        return Files.isRegularFile(file) ? read(file) : null;
    }

    private static JsonObject object(JsonObject parent, String key, Path file) {
        if (parent == null || !parent.has(key) || parent.get(key).isJsonNull()) {
            return null;
        }
        if (!parent.get(key).isJsonObject()) {
            throw new ModelException(file + ": '" + key + "' must be an object");
        }
        return parent.getAsJsonObject(key);
    }

    private static Integer integer(JsonObject o, String key) {
        if (o == null || !o.has(key) || o.get(key).isJsonNull()) {
            return null;
        }
        try {
            double d = o.get(key).getAsDouble();
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw new ModelException("config key '" + key + "' must be a whole number, got " + o.get(key));
            }
            return (int) d;
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException e) {
            throw new ModelException("config key '" + key + "' must be a number, got " + o.get(key), e);
        }
    }

    private static Float decimal(JsonObject o, String key) {
        if (o == null || !o.has(key) || o.get(key).isJsonNull()) {
            return null;
        }
        try {
            return o.get(key).getAsFloat();
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException e) {
            throw new ModelException("config key '" + key + "' must be a number, got " + o.get(key), e);
        }
    }

    private static Integer mlpWidth(JsonObject vit) {
        Integer width = integer(vit, "width");
        Float ratio = decimal(vit, "mlp_ratio");
        return width == null || ratio == null ? null : Math.round(width * ratio);
    }
}
