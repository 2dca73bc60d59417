package dev.blip4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Native memory discipline for forward passes. An op's result belongs to the manager of its first
 * operand, which for an op on a weight is the model's long-lived manager: without a scope such
 * temporaries would pile up there for the life of the model. Each piece of work therefore runs in
 * an {@link NDScope} that closes every array it created except the result.
 */
public final class Scoped {

    private Scoped() {}

    /**
     * Runs {@code work} in its own scope and returns its result, which is handed to the enclosing
     * scope (if any) so that it is closed with it unless that scope lets it go too.
     */
    public static NDArray compute(Supplier<NDArray> work) {
        NDArray out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            out = work.get();
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return out;
    }

    /** As {@link #compute}, for work with several results. */
    public static NDList computeAll(Supplier<NDList> work) {
        NDList out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            out = work.get();
            NDScope.unregister(out);
        }
        out.forEach(NDScope::register);
        return out;
    }

    /**
     * Runs {@code work}, whose result is not an array (tokens, scores), in its own scope: every
     * array it creates is closed when it returns.
     */
    public static <T> T run(Supplier<T> work) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return work.get();
        }
    }

    /**
     * Runs {@code work} in its own scope and detaches the result from every scope, so that it lives
     * until its manager closes. For results that outlive the call that made them (caches, outputs).
     */
    public static NDArray keep(Supplier<NDArray> work) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray out = work.get();
            NDScope.unregister(out);
            return out;
        }
    }

    /** As {@link #keep}, for work with several results. */
    public static NDList keepAll(Supplier<NDList> work) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList out = work.get();
            NDScope.unregister(out);
            return out;
        }
    }
}
