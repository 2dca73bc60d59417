package dev.blip4j.djl;

import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The arguments DJL hands a translator factory (from {@code Criteria.optArgument}, the model URL's
 * query string, or {@code serving.properties}), read as typed values with clear errors.
 */
public final class TaskArguments {

    private final Map<String, ?> values;

    public TaskArguments(Map<String, ?> values) {
        this.values = values == null ? Map.of() : values;
    }

    public String string(String key) {
        Object v = values.get(key);
        return v == null ? null : v.toString();
    }

    public Integer integer(String key) {
        String v = string(key);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new InputException("argument " + key + " must be a whole number, got '" + v + "'");
        }
    }

    public Float decimal(String key) {
        String v = string(key);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Float.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new InputException("argument " + key + " must be a number, got '" + v + "'");
        }
    }

    public boolean flag(String key) {
        String v = string(key);
        if (v == null) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off", "" -> false;
            default -> throw new InputException("argument " + key + " must be true or false, got '" + v + "'");
        };
    }

    /**
     * {@code defaults} with what the arguments set: {@code beams}, {@code max_length},
     * {@code min_length}, {@code repetition_penalty} (the names of the CLI options).
     */
    public GenerationConfig generation(GenerationConfig defaults) {
        GenerationConfig.Builder g = defaults.toBuilder();
        if (integer("beams") != null) {
            g.numBeams(integer("beams"));
        }
        if (integer("max_length") != null) {
            g.maxLength(integer("max_length"));
        }
        if (integer("min_length") != null) {
            g.minLength(integer("min_length"));
        }
        if (decimal("repetition_penalty") != null) {
            g.repetitionPenalty(decimal("repetition_penalty"));
        }
        return g.build();
    }

    public Path path(String key) {
        String v = string(key);
        return v == null || v.isBlank() ? null : Path.of(v);
    }
}
