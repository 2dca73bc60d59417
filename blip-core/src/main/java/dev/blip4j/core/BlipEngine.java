package dev.blip4j.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.function.Function;

/**
 * The one place blip4j touches DJL's engine. It pins the PyTorch engine and switches DJL to
 * offline mode before first use, so that nothing ever tries to download a native library or model:
 * the natives come from the {@code pytorch-native-cpu} jar on the class path, and a machine
 * without the jar for its platform is told which one to add.
 */
public final class BlipEngine {

    public static final String ENGINE = "PyTorch";

    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    /** DJL's PyTorch engine allows one gradient collector in the whole process at a time. */
    private static final Object GRADIENTS = new Object();
    private static final ThreadLocal<Boolean> RECORDING = ThreadLocal.withInitial(() -> false);
    private static volatile boolean started;

    private BlipEngine() {}

    public static Engine engine() {
        if (!started) {
            NativeLibrary.detect().require(); // before DJL, which would try to download a missing library
        }
        try {
            Engine engine = Engine.getEngine(ENGINE);
            started = true;
            return engine;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new BlipException("cannot start the PyTorch engine (" + e.getMessage()
                    + "); blip4j needs ai.djl.pytorch:pytorch-native-cpu on the class path", e);
        }
    }

    /**
     * How many native arrays are alive in the whole engine: every model's weights plus whatever
     * calls in flight hold. For monitoring a long-running service: with no call in flight it stays
     * at the weights' count, and steady growth would mean a leak.
     */
    public static int liveArrayCount() {
        try (NDManager probe = engine().newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    /** A root manager on {@code device} (CPU when null). */
    public static NDManager newManager(Device device) {
        Engine engine = engine();
        Device d = device == null ? Device.cpu() : device;
        if (d.isGpu() && engine.getGpuCount() == 0) {
            throw new InputException("--device gpu asked for, but the PyTorch engine sees no GPU "
                    + "(this build ships the CPU native library)");
        }
        return engine.newBaseManager(d);
    }

    /** Intra-op threads of the engine (PyTorch's {@code torch.get_num_threads()}). */
    public static int threads() {
        engine();
        return ai.djl.pytorch.jni.JniUtils.getNumThreads();
    }

    /** Sets the intra-op threads for the whole process ({@code torch.set_num_threads}). */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new InputException("threads must be at least 1, got " + threads);
        }
        engine();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }

    /**
     * Runs {@code work} with autograd recording on this thread (the only place blip4j computes
     * gradients: Grad-CAM), then closes the collector, which turns recording off again. Calls from
     * several threads take turns, because DJL allows one collector per process; inference elsewhere
     * is unaffected, since no weight requires a gradient.
     */
    public static <T> T withGradients(Function<GradientCollector, T> work) {
        synchronized (GRADIENTS) {
            try (GradientCollector collector = engine().newGradientCollector()) {
                RECORDING.set(true);
                return work.apply(collector);
            } finally {
                RECORDING.set(false);
            }
        }
    }

    /** Whether this thread is inside {@link #withGradients}. */
    public static boolean recordingGradients() {
        return RECORDING.get();
    }
}
