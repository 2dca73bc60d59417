package dev.blip4j.djl;

import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The arguments DJL hands a translator factory (from {@code Criteria.optArgument}, the model URL's
 * query string, or {@code serving.properties}), read as typed values with clear errors.
 */
public final class TaskArguments {

    private final Map<String, ?> values;

    public TaskArguments(Map<String, ?> values) {
        this.values = values == null ? Map.of() : values;
    }

    /** What every task reads: how the model is found and loaded. */
    public static final Set<String> LOADING = Set.of("tokenizer", "image_size", "offline", "cache_dir");

    /** The decoding arguments, named as the CLI's options. */
    public static final Set<String> GENERATION = Set.of("beams", "max_length", "min_length", "repetition_penalty",
            "sample", "top_p", "top_k", "temperature", "seed");

    /** Sampling arguments, which mean nothing unless {@code sample=true}. */
    static final List<String> SAMPLING = List.of("top_p", "top_k", "temperature", "seed");

    /**
     * Arguments that DJL and DJL Serving put in every model's arguments for themselves (the factory,
     * the block, the engine, worker and batching settings); never refused. Names with a dot
     * ({@code option.*}, {@code gpu.*}) are theirs too.
     */
    static final Set<String> DJL = Set.of("translatorFactory", "blockFactory", "engine", "application", "translator",
            "batch_size", "max_batch_delay", "max_idle_time", "job_queue_size", "minWorkers", "maxWorkers",
            "load_on_devices", "required_memory_mb", "reserved_memory_mb", "parallel_loading", "entryPoint",
            "modelName", "model_id", "djl_version");

    /**
     * Refuses arguments that {@code task} does not read (a typo such as {@code beam=2} would
     * otherwise be ignored), naming the ones it does.
     *
     * @param known the arguments the task reads, besides {@link #LOADING}
     */
    public void requireKnown(Set<String> known, String task) {
        Set<String> unknown = new TreeSet<>();
        for (String key : values.keySet()) {
            if (!known.contains(key) && !LOADING.contains(key) && !DJL.contains(key) && !key.contains(".")) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            Set<String> offered = new TreeSet<>(known);
            offered.addAll(LOADING);
            throw new InputException("unknown argument" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + " for " + task + "; blip4j reads " + String.join(", ", offered));
        }
    }

    /** Every name of the given sets. */
    @SafeVarargs
    public static Set<String> union(Set<String>... sets) {
        Set<String> all = new TreeSet<>();
        for (Set<String> s : sets) {
            all.addAll(s);
        }
        return Set.copyOf(all);
    }

    public String string(String key) {
        Object v = values.get(key);
        return v == null ? null : v.toString();
    }

    public Integer integer(String key) {
        return parsed(key, Integer::valueOf, "a whole number");
    }

    private <T> T parsed(String key, java.util.function.Function<String, T> parse, String what) {
        String v = string(key);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return parse.apply(v.trim());
        } catch (NumberFormatException e) {
            throw new InputException("argument " + key + " must be " + what + ", got '" + v + "'");
        }
    }

    public Long longValue(String key) {
        return parsed(key, Long::valueOf, "a whole number");
    }

    public Float decimal(String key) {
        return parsed(key, Float::valueOf, "a number");
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
     * {@code min_length}, {@code repetition_penalty}, and for nucleus sampling {@code sample=true}
     * with {@code top_p}, {@code top_k}, {@code temperature}, {@code seed} (the names of the CLI
     * options). Sampling arguments without {@code sample=true} are refused, as the CLI refuses them:
     * they would change nothing. {@code sample=true} starts from BLIP's sampling defaults (top-p
     * 0.9, top-k 50, repetition penalty 1.1, one beam).
     */
    public GenerationConfig generation(GenerationConfig defaults) {
        boolean sample = flag("sample");
        if (!sample) {
            for (String key : SAMPLING) {
                if (string(key) != null) {
                    throw new InputException("argument " + key + " only applies to sampling: add sample=true");
                }
            }
        }
        GenerationConfig base = sample ? defaults.withNucleus(0.9f) : defaults;
        // One record made from every value at once, so that the checks see the final settings.
        return new GenerationConfig(
                or(integer("beams"), base.numBeams()),
                or(integer("max_length"), base.maxLength()),
                or(integer("min_length"), base.minLength()),
                or(decimal("repetition_penalty"), base.repetitionPenalty()),
                base.lengthPenalty(), base.normalization(), base.sample(),
                or(integer("top_k"), base.topK()),
                or(decimal("top_p"), base.topP()),
                or(decimal("temperature"), base.temperature()),
                base.numReturnSequences(),
                or(longValue("seed"), base.seed()));
    }

    private static <T> T or(T value, T otherwise) {
        return value != null ? value : otherwise;
    }

    public Path path(String key) {
        String v = string(key);
        return v == null || v.isBlank() ? null : Path.of(v);
    }
}
