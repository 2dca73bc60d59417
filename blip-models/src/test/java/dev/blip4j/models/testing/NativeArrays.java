package dev.blip4j.models.testing;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.BlipEngine;
import java.lang.reflect.Field;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Every native array and manager alive in the PyTorch engine, for leak tests.
 *
 * <p>DJL keeps each array in the resource map of its manager, each manager in its parent's, and
 * every root manager ({@code Engine.newBaseManager}) under the engine's one system manager, until
 * closed: closing an array or a manager removes it from its parent's map. So the tree under the
 * system manager is exactly what is alive. {@link NDManager#getManagedArrays()} walks it for
 * arrays; managers are counted through {@code BaseNDManager.resources} (protected, read by
 * reflection: DJL has no public accessor, and {@code BaseNDManager.debugDump} only prints).
 */
public final class NativeArrays {

    private static final Field RESOURCES = resourcesField();

    private NativeArrays() {}

    /** What is alive now: the uids of every array and every manager under the engine. */
    public record Snapshot(Set<String> arrays, Set<String> managers) {

        /** What {@code later} holds that this snapshot did not: leaked arrays and managers. */
        public Snapshot leakedBy(Snapshot later) {
            Set<String> a = new HashSet<>(later.arrays);
            a.removeAll(arrays);
            Set<String> m = new HashSet<>(later.managers);
            m.removeAll(managers);
            return new Snapshot(a, m);
        }

        public boolean isEmpty() {
            return arrays.isEmpty() && managers.isEmpty();
        }
    }

    public static Snapshot snapshot() {
        NDManager system = system();
        Set<String> arrays = new HashSet<>();
        for (NDArray a : system.getManagedArrays()) {
            arrays.add(a.getUid());
        }
        Set<String> managers = new HashSet<>();
        collectManagers(system, managers);
        return new Snapshot(arrays, managers);
    }

    /** The engine's system manager: the parent of every root manager. */
    public static NDManager system() {
        try (NDManager probe = BlipEngine.newManager(null)) {
            return probe.getParentManager();
        }
    }

    private static void collectManagers(NDManager m, Set<String> out) {
        try {
            for (Object r : ((Map<?, ?>) RESOURCES.get(m)).values()) {
                if (r instanceof NDManager sub) {
                    out.add(sub.getName() + "/" + System.identityHashCode(sub));
                    collectManagers(sub, out);
                }
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field resourcesField() {
        try {
            Field f = BaseNDManager.class.getDeclaredField("resources");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("DJL's BaseNDManager changed: no 'resources' field", e);
        }
    }
}
