package dev.blip4j.models.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.NativeArrays;
import dev.blip4j.models.testing.NativeArrays.Snapshot;
import dev.blip4j.models.testing.Workloads.Workload;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every native array a call creates is closed by the time it returns: the engine's whole tree of
 * managers and arrays (see {@link NativeArrays}) is the same set, uid for uid, before and after
 * each call of every task. This is what makes a JVM service's native memory flat over weeks; the
 * main risk it guards is an op on a weight (whose result belongs to the weights' long-lived
 * manager) leaving a temporary there, which the network's {@code Scoped} forward passes prevent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NativeMemoryLeakTest {

    private TinyModels tiny;

    @BeforeAll
    void load() {
        tiny = TinyModels.load();
    }

    @AfterAll
    void close() {
        tiny.close();
    }

    @Test
    void everyCallOfEveryTaskLeavesNoArrayOrManagerBehind() {
        assertTrue(tiny.workloads().size() >= 9, "workloads: " + tiny.workloads());
        for (Workload w : tiny.workloads()) {
            w.run(); // warm-up: anything created once and kept on purpose would show here, not below
            Snapshot before = NativeArrays.snapshot();
            w.run();
            Snapshot leaked = before.leakedBy(NativeArrays.snapshot());
            assertTrue(leaked.isEmpty(), w.name() + " left " + leaked.arrays().size() + " arrays and "
                    + leaked.managers().size() + " managers alive: " + leaked);
            System.out.printf("leak check %-26s ok (%d arrays, %d managers alive before and after)%n", w.name(),
                    before.arrays().size(), before.managers().size());
        }
    }

    /** The same holds when a call fails half-way: the prompt is too long for the position table. */
    @Test
    void aCallThatFailsHalfWayLeavesNothingBehind() {
        BlipModel model = tiny.models().get(0);
        Blip net = model.network();
        Snapshot before = NativeArrays.snapshot();
        try (NDManager call = net.newManager()) {
            NDArray states = net.encodeImage(model.pixels(List.of(model.readImage(Golden.image(0))), call));
            long[] tooLong = new long[net.decoderPositions() + 1];
            java.util.Arrays.fill(tooLong, model.tokenizer().decId());
            NDArray ids = call.create(tooLong, new ai.djl.ndarray.types.Shape(1, tooLong.length));
            InputException e = org.junit.jupiter.api.Assertions.assertThrows(InputException.class,
                    () -> net.decoderLogits(ids, null, states, null));
            assertTrue(e.getMessage().contains("does not fit the position table of 64"), e.getMessage());
        }
        assertTrue(before.leakedBy(NativeArrays.snapshot()).isEmpty());
    }

    /** The detector sees one array left in the weights' manager, so the checks above can fail. */
    @Test
    void theDetectorSeesALeakedArray() {
        BlipModel model = tiny.models().get(0);
        Snapshot before = NativeArrays.snapshot();
        NDArray leaked;
        NDManager weights;
        try (NDManager call = model.network().newManager()) {
            weights = call.getParentManager();
        }
        leaked = weights.create(new float[] {1, 2, 3});
        Snapshot leak = before.leakedBy(NativeArrays.snapshot());
        assertEquals(java.util.Set.of(leaked.getUid()), leak.arrays());
        leaked.close();
        assertTrue(before.leakedBy(NativeArrays.snapshot()).isEmpty());

        NDManager forgotten = model.network().newManager();
        assertFalse(before.leakedBy(NativeArrays.snapshot()).managers().isEmpty(), "an unclosed call manager shows");
        forgotten.close();
        assertTrue(before.leakedBy(NativeArrays.snapshot()).isEmpty());
    }
}
