package dev.blip4j.models.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipKind;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.RandomCheckpoint;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.NativeArrays;
import dev.blip4j.models.testing.NativeArrays.Snapshot;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A loaded model holds in native memory exactly the weights its network uses: the arrays that
 * loading leaves alive are, uid for uid, the arrays reachable from the {@link Blip}. Loading makes
 * arrays that must not survive it (key and value weights before they are fused, float32 copies of
 * float16 weights, resized position tables), and any of them left in the model's manager would
 * stay for the life of the model.
 */
class LoadedWeightsTest {

    static Stream<Arguments> loads() {
        Stream.Builder<Arguments> out = Stream.builder();
        for (String kind : Golden.KINDS) {
            out.add(Arguments.of(kind, Layout.HUGGINGFACE, DataType.FLOAT32));
            out.add(Arguments.of(kind, Layout.HUGGINGFACE, DataType.FLOAT16));
            out.add(Arguments.of(kind, Layout.ORIGINAL, DataType.FLOAT32));
        }
        return out.build();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("loads")
    void liveArraysAreExactlyTheNetworksWeights(String kind, Layout layout, DataType dtype) {
        Golden g = Golden.of(kind);
        assertOnlyTheNetworkStaysAlive(kind + " " + layout + " " + dtype, dtype, () -> {
            BlipModel.Builder builder = layout == Layout.ORIGINAL
                    ? BlipModel.builder(g.original()).tokenizer(Golden.root().resolve("tokenizer/vocab.txt"))
                    : BlipModel.builder(g.hf());
            return builder.dtype(dtype).load();
        });
    }

    /** BLIP-2's first stage: the EVA ViT and the Q-Former, whose attention is fused the same way. */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT16"})
    void blip2LiveArraysAreExactlyTheNetworksWeights(DataType dtype) {
        assertOnlyTheNetworkStaysAlive("blip2 ORIGINAL " + dtype, dtype, () -> BlipModel.builder(
                Golden.of("blip2").original()).tokenizer(Golden.root().resolve("tokenizer/vocab.txt")).dtype(dtype)
                .load());
    }

    /** Pre-training ties encoder and decoder everywhere but self-attention: tied weights are fused and kept once. */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT16"})
    void tiedPreTrainingWeightsAreKeptOnce(DataType dtype) {
        int tied = assertOnlyTheNetworkStaysAlive("random tiny pre-trained " + dtype, dtype,
                () -> BlipModel.random(new RandomCheckpoint(RandomCheckpoint.Size.TINY, BlipKind.PRETRAIN, 3), null,
                        dtype));
        int itm = assertOnlyTheNetworkStaysAlive("random tiny ITM " + dtype, dtype,
                () -> BlipModel.random(new RandomCheckpoint(RandomCheckpoint.Size.TINY, BlipKind.ITM, 3), null, dtype));
        // the decoder adds only its self-attention (8 arrays per layer) and the LM head (5), plus, in
        // float32, the LM head's weight packed for oneDNN beside the word embeddings it is tied to
        int packedHead = dtype == DataType.FLOAT32 && dev.blip4j.core.nn.PackedLinear.oneDnnAvailable() ? 1 : 0;
        assertEquals(itm + 2 * 8 + 5 + packedHead, tied, "pre-trained vs ITM");
    }

    /** The census sees an array that nothing in the network holds, so the checks above can fail. */
    @Test
    void theCensusSeesAStrayArray() {
        Snapshot before = NativeArrays.snapshot();
        try (BlipModel model = BlipModel.load(Golden.of("caption").hf())) {
            NDManager weights;
            try (NDManager call = model.network().newManager()) {
                weights = call.getParentManager();
            }
            NDArray stray = weights.create(new float[] {1, 2, 3});
            Set<String> live = before.leakedBy(NativeArrays.snapshot()).arrays();
            Set<String> reachable = uids(model.network());
            assertTrue(live.contains(stray.getUid()) && !reachable.contains(stray.getUid()));
            assertEquals(live.size(), reachable.size() + 1);
        }
    }

    /** Loads, checks, closes; returns how many arrays the network holds. */
    private static int assertOnlyTheNetworkStaysAlive(String what, DataType dtype, Supplier<BlipModel> load) {
        Snapshot before = NativeArrays.snapshot();
        int count;
        try (BlipModel model = load.get()) {
            Object network = model.imageTextNetwork();
            Set<String> live = before.leakedBy(NativeArrays.snapshot()).arrays();
            Set<String> reachable = uids(network);
            Set<String> stray = new HashSet<>(live);
            stray.removeAll(reachable);
            Set<String> missing = new HashSet<>(reachable);
            missing.removeAll(live);
            System.out.printf("%s: %d live arrays, %d reachable from the network%n", what, live.size(),
                    reachable.size());
            assertTrue(stray.isEmpty(), what + ": " + stray.size() + " of " + live.size() + " live arrays are not"
                    + " reachable from the network (" + reachable.size() + " are)");
            assertTrue(missing.isEmpty(), what + ": the network holds arrays that are not alive: " + missing);
            for (NDArray a : NativeArrays.system().getManagedArrays()) {
                if (live.contains(a.getUid())) {
                    assertEquals(dtype, a.getDataType(), what + ": every weight in the model's type");
                }
            }
            count = reachable.size();
        }
        assertTrue(before.leakedBy(NativeArrays.snapshot()).isEmpty(), what + ": closing the model frees everything");
        return count;
    }

    /** The uids of every NDArray reachable from {@code root} through fields, record components and collections. */
    static Set<String> uids(Object root) {
        Set<String> out = new HashSet<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            Object o = todo.pop();
            if (o instanceof NDManager || o instanceof Enum<?> || !seen.add(o)) {
                continue;
            }
            if (o instanceof NDArray a) {
                out.add(a.getUid());
            } else if (o instanceof Collection<?> c) {
                c.stream().filter(java.util.Objects::nonNull).forEach(todo::push);
            } else if (o.getClass().getPackageName().startsWith("dev.blip4j")) {
                children(o).stream().filter(java.util.Objects::nonNull).forEach(todo::push);
            }
        }
        return out;
    }

    private static Collection<Object> children(Object o) {
        Collection<Object> out = new java.util.ArrayList<>();
        try {
            if (o instanceof Record r) {
                for (RecordComponent c : r.getClass().getRecordComponents()) {
                    out.add(c.getAccessor().invoke(r));
                }
                return out;
            }
            for (Class<?> c = o.getClass(); c.getPackageName().startsWith("dev.blip4j"); c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
                        f.setAccessible(true);
                        out.add(f.get(o));
                    }
                }
            }
            return out;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
