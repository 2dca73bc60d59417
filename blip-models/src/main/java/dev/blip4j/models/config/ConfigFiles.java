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
 *
 * <p>A configuration file is as untrusted as the weights beside it. Every size it gives must be a
 * positive whole number and every epsilon or ratio a positive finite number; anything else is a
 * {@link ModelException} naming the file and the key, before any array is sized from it.
 */
public final class ConfigFiles {

    public static final String MED_CONFIG = "med_config.json";
    public static final String BLIP_CONFIG = "blip_config.json";
    public static final String HF_CONFIG = "config.json";
    public static final String BLIP2_CONFIG = "blip2_config.json";

    /** A config file is a few kilobytes; anything this large is not one. */
    static final long MAX_CONFIG_BYTES = 16L << 20;

    private ConfigFiles() {}

    /** Hints from {@code med_config.json} and {@code blip_config.json} in {@code dir}, where they exist. */
    public static ConfigHints original(Path dir) {
        Section med = Section.ofFile(dir.resolve(MED_CONFIG));
        Section blip = Section.ofFile(dir.resolve(BLIP_CONFIG));
        Section vit = blip.object("vit");
        return new ConfigHints(
                blip.size("image_size"), vit.size("patch_size"), vit.size("width"), vit.size("depth"),
                vit.size("heads"), mlpWidth(vit), vit.positive("layer_norm_eps"),
                med.size("vocab_size"), med.size("hidden_size"), med.size("num_hidden_layers"),
                med.size("num_attention_heads"), med.size("intermediate_size"),
                med.size("max_position_embeddings"), med.positive("layer_norm_eps"), med.size("encoder_width"));
    }

    /**
     * Hints from HF's {@code config.json}. A missing vision {@code layer_norm_eps} means HF's default
     * 1e-5, which is what transformers computes with (the official code uses 1e-6: see NOTES).
     */
    public static ConfigHints huggingFace(Path configJson) {
        Section root = Section.ofFile(configJson);
        Section text = root.object("text_config");
        Section vision = root.object("vision_config");
        Float visionEps = vision.positive("layer_norm_eps");
        return new ConfigHints(
                vision.size("image_size"), vision.size("patch_size"), vision.size("hidden_size"),
                vision.size("num_hidden_layers"), vision.size("num_attention_heads"),
                vision.size("intermediate_size"), visionEps == null ? 1e-5f : visionEps,
                text.size("vocab_size"), text.size("hidden_size"), text.size("num_hidden_layers"),
                text.size("num_attention_heads"), text.size("intermediate_size"),
                text.size("max_position_embeddings"), text.positive("layer_norm_eps"),
                text.size("encoder_hidden_size"));
    }

    /**
     * Hints from {@code blip2_config.json} in {@code dir} (the golden's form: {@code img_size},
     * {@code vit}, {@code qformer}, {@code embed_dim}, {@code max_txt_len}), where it exists.
     */
    public static Blip2Hints blip2Original(Path dir) {
        Section root = Section.ofFile(dir.resolve(BLIP2_CONFIG));
        Section vit = root.object("vit");
        Section q = root.object("qformer");
        Integer imageSize = root.size("img_size") != null ? root.size("img_size") : root.size("image_size");
        ConfigHints base = new ConfigHints(imageSize, vit.size("patch_size"), vit.size("width"), vit.size("depth"),
                vit.size("heads"), mlpWidth(vit), vit.positive("layer_norm_eps"),
                q.size("vocab_size"), q.size("hidden_size"), q.size("num_hidden_layers"),
                q.size("num_attention_heads"), q.size("intermediate_size"), q.size("max_position_embeddings"),
                q.positive("layer_norm_eps"), null);
        return new Blip2Hints(base, vit.positive("ln_vision_eps"), q.size("cross_attention_freq"),
                q.size("num_query_token"), root.size("embed_dim"), root.size("max_txt_len"));
    }

    /**
     * Hints from an HF {@code config.json} of {@code model_type} {@code blip-2}
     * ({@code Blip2Config}: {@code vision_config}, {@code qformer_config}, {@code num_query_tokens},
     * {@code image_text_hidden_size}). transformers writes only values that differ from its defaults,
     * so an absent head count is the default's, which is the released checkpoints' (16 and 12).
     */
    public static Blip2Hints blip2HuggingFace(Path configJson) {
        Section root = Section.ofFile(configJson);
        Section vision = root.object("vision_config");
        Section q = root.object("qformer_config");
        Integer visionHeads = vision.size("num_attention_heads");
        Integer heads = q.size("num_attention_heads");
        ConfigHints base = new ConfigHints(vision.size("image_size"), vision.size("patch_size"),
                vision.size("hidden_size"), vision.size("num_hidden_layers"), visionHeads == null ? 16 : visionHeads,
                vision.size("intermediate_size"), vision.positive("layer_norm_eps"),
                q.size("vocab_size"), q.size("hidden_size"), q.size("num_hidden_layers"), heads == null ? 12 : heads,
                q.size("intermediate_size"), q.size("max_position_embeddings"), q.positive("layer_norm_eps"),
                q.size("encoder_hidden_size"));
        return new Blip2Hints(base, null, q.size("cross_attention_frequency"), root.size("num_query_tokens"),
                root.size("image_text_hidden_size"), null);
    }

    /** Whether an HF {@code config.json} describes a BLIP-2 model ({@code model_type} {@code blip-2}). */
    public static boolean isBlip2HuggingFace(Path configJson) {
        if (!Files.isRegularFile(configJson)) {
            return false;
        }
        JsonElement type = read(configJson).get("model_type");
        return type != null && type.isJsonPrimitive() && "blip-2".equals(type.getAsString());
    }

    /** Parses a JSON object file; every failure is a {@link ModelException} naming the file. */
    public static JsonObject read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_CONFIG_BYTES) {
                throw new ModelException(file + ": " + size + " bytes is too large for a configuration file");
            }
            JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new ModelException(file + ": expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (ModelException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) { // Gson: malformed JSON, or nesting deep enough to overflow
            throw new ModelException(file + ": not valid JSON (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
    }

    private static Integer mlpWidth(Section vit) {
        Integer width = vit.size("width");
        Float ratio = vit.positive("mlp_ratio");
        if (width == null || ratio == null) {
            return null;
        }
        long mlp = Math.round((double) width * ratio);
        if (mlp < 1 || mlp > Integer.MAX_VALUE) {
            throw new ModelException(vit.file + ": '" + vit.key("mlp_ratio") + "' = " + ratio + " gives an MLP width of "
                    + mlp + " for width " + width);
        }
        return (int) mlp;
    }

    /** One JSON object of a config file, with the dotted path used in messages; empty when absent. */
    private record Section(Path file, String path, JsonObject json) {

        static Section ofFile(Path file) {
            return new Section(file, "", Files.isRegularFile(file) ? read(file) : null);
        }

        Section object(String name) {
            if (json == null || !json.has(name) || json.get(name).isJsonNull()) {
                return new Section(file, key(name), null);
            }
            if (!json.get(name).isJsonObject()) {
                throw new ModelException(file + ": '" + key(name) + "' must be an object, got " + abbreviate(json.get(name)));
            }
            return new Section(file, key(name), json.getAsJsonObject(name));
        }

        String key(String name) {
            return path.isEmpty() ? name : path + "." + name;
        }

        /** A size: a positive whole number, or null when the key is absent. */
        Integer size(String name) {
            Double d = number(name);
            if (d == null) {
                return null;
            }
            if (d != Math.rint(d) || d < 1 || d > Integer.MAX_VALUE) {
                throw new ModelException(file + ": '" + key(name) + "' must be a positive whole number, got "
                        + abbreviate(json.get(name)));
            }
            return d.intValue();
        }

        /** An epsilon or ratio: a positive finite number, or null when the key is absent. */
        Float positive(String name) {
            Double d = number(name);
            if (d == null) {
                return null;
            }
            float f = d.floatValue();
            if (!(f > 0) || Float.isInfinite(f)) {
                throw new ModelException(file + ": '" + key(name) + "' must be a positive number, got "
                        + abbreviate(json.get(name)));
            }
            return f;
        }

        private Double number(String name) {
            if (json == null || !json.has(name) || json.get(name).isJsonNull()) {
                return null;
            }
            JsonElement e = json.get(name);
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
                try {
                    return e.getAsDouble();
                } catch (NumberFormatException x) {
                    // fall through: a number Gson cannot read as a double
                }
            }
            throw new ModelException(file + ": '" + key(name) + "' must be a number, got " + abbreviate(e));
        }

        private static String abbreviate(JsonElement e) {
            String s = String.valueOf(e);
            return s.length() <= 40 ? s : s.substring(0, 37) + "...";
        }
    }
}
