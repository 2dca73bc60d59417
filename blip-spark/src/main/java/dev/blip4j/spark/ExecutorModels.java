package dev.blip4j.spark;

import dev.blip4j.core.BlipEngine;
import dev.blip4j.models.BlipModel;
import dev.blip4j.capfilt.CapFilt;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this executor JVM, loaded once and shared by every task that runs in it (tasks run
 * as threads of one executor; {@link CapFilt} and the models are thread-safe). Loading a model
 * takes seconds and its weights hundreds of megabytes, so it must not happen per row or per
 * partition. Models are closed when the JVM exits.
 */
public final class ExecutorModels {

    private static final Map<ModelSpec, BlipModel> MODELS = new ConcurrentHashMap<>();
    private static final Map<JobSpec, CapFilt> PIPELINES = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "blip-models-close"));
    }

    private ExecutorModels() {}

    /** This JVM's CapFilt for {@code spec}, creating it (and loading its models) on first use. */
    public static CapFilt capfilt(JobSpec spec) {
        return PIPELINES.computeIfAbsent(spec, s -> {
            if (s.threads() > 0) {
                // process-wide: each concurrent task's operations use this many threads
                BlipEngine.setThreads(s.threads());
            }
            return new CapFilt(model(s.captioner()), model(s.filter()), s.options());
        });
    }

    private static BlipModel model(ModelSpec spec) {
        return MODELS.computeIfAbsent(spec, s -> {
            LOADS.incrementAndGet();
            return s.load();
        });
    }

    /** How many models this JVM has loaded so far. */
    public static int loads() {
        return LOADS.get();
    }

    /** Closes every model (at JVM exit; tests may call it). */
    public static synchronized void closeAll() {
        PIPELINES.clear();
        MODELS.values().forEach(BlipModel::close);
        MODELS.clear();
    }
}
