package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.InputException;

/**
 * A {@link TorchScript} function compiled once, on first use, by whichever thread asks first, and
 * kept for the life of the process: the kernels DJL does not bind (oneDNN's packed products,
 * quantized products, fused attention).
 */
public final class CompiledKernel {

    private static final NDManager OWNER = BlipEngine.newManager(null);

    private final String name;
    private final String parameters;
    private final String returns;
    private final String body;
    private volatile TorchScript compiled;

    /** See {@link TorchScript#compile} for the arguments. */
    public CompiledKernel(String name, String parameters, String returns, String body) {
        this.name = name;
        this.parameters = parameters;
        this.returns = returns;
        this.body = body;
    }

    /**
     * The compiled function.
     *
     * @throws InputException when this libtorch build cannot compile it (an operator it lacks)
     */
    public TorchScript get() {
        TorchScript t = compiled;
        if (t == null) {
            synchronized (this) {
                if (compiled == null) {
                    try {
                        compiled = TorchScript.compile(name, parameters, returns, body, OWNER);
                    } catch (IllegalStateException e) {
                        throw new InputException("this libtorch build cannot run " + name
                                + " (this kernel is unavailable here): " + e.getMessage()
                                .lines().findFirst().orElse(""), e);
                    }
                }
                t = compiled;
            }
        }
        return t;
    }

    /** Runs the function on {@code args}; its one tensor result belongs to {@code manager}. */
    public NDArray apply(NDManager manager, Object... args) {
        return get().apply(manager, args);
    }

    /** Whether this libtorch build compiles every one of {@code kernels}. */
    public static boolean compiles(CompiledKernel... kernels) {
        try {
            for (CompiledKernel kernel : kernels) {
                kernel.get();
            }
            return true;
        } catch (InputException e) {
            return false;
        }
    }
}
