package dev.blip4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Run in a child JVM by {@link OfflineEngineTest}: starts the engine and does one matrix product. */
public final class OfflineEngineProbe {

    private OfflineEngineProbe() {}

    public static void main(String[] args) {
        try (NDManager m = BlipEngine.newManager(null)) {
            NDArray x = m.arange(6f).reshape(2, 3);
            System.out.println("engine " + BlipEngine.engine().getVersion() + " sum " + x.matMul(x.transpose()).sum().getFloat());
        }
    }
}
