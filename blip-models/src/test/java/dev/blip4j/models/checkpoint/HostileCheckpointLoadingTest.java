package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.testing.LavisSplit;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small checkpoints built to cost gigabytes, loaded the way {@code blip inspect} and every task
 * load them: the golden captioning model plus hostile extras. Each is refused by name before the
 * extras' bytes are read, and refusing it allocates little heap while direct buffers and resident
 * memory, sampled as {@code blip soak} samples resident memory, stay flat.
 */
class HostileCheckpointLoadingTest {

    /** What refusing a hostile file may cost in heap, direct buffers or resident memory (the golden model is ~1 MB). */
    private static final long MAX_COST_BYTES = 96L << 20;

    private static final String TERMINAL_ATTACK = "x\u001b]0;owned\u0007\u001b[2Kerror: fake";

    @TempDir
    Path dir;

    @Test
    void unknownTensorsAreRefusedByNameBeforeTheirBytesAreRead() throws IOException {
        Path f = unknownBroadcasts("unknown");
        ModelException e = assertThrows(ModelException.class, () -> load(f));
        assertTrue(e.getMessage().startsWith(f + ": 5 unexpected tensor(s) for this architecture: "), e.getMessage());
        // the last one's storage is a corrupt deflate stream: reading it would have failed differently
        assertTrue(e.getMessage().contains("evil.0, evil.1, evil.2, evil.3, x\\x1b]0;owned\\x07\\x1b[2Kerror: fake"),
                e.getMessage());
        assertFalse(e.getMessage().chars().anyMatch(c -> c == 0x1b || c == 0x07), "raw control characters: " + e.getMessage());
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor() throws IOException {
        String name = "text_decoder.bert.encoder.layer.0.attention.self.query.weight";
        Map<String, TensorData> tensors = new LinkedHashMap<>(golden());
        float[] values = tensors.get(name).toFloatArray();
        values[5] = Float.NaN;
        tensors.put(name, TensorData.ofFloats(tensors.get(name).shape(), values));
        Path nan = write("nan", tensors, List.of(), Map.of());
        ModelException e = assertThrows(ModelException.class, () -> load(nan));
        assertTrue(e.getMessage().contains("tensor '" + name + "' [32, 32] holds NaN at element 5; weights must be finite"),
                e.getMessage());

        String norm = "visual_encoder.norm.weight";
        tensors = new LinkedHashMap<>(golden());
        values = tensors.get(norm).toFloatArray();
        values[0] = Float.NEGATIVE_INFINITY;
        tensors.put(norm, TensorData.ofFloats(tensors.get(norm).shape(), values));
        Path inf = write("inf", tensors, List.of(), Map.of());
        e = assertThrows(ModelException.class, () -> load(inf));
        assertTrue(e.getMessage().contains("tensor '" + norm + "'") && e.getMessage().contains("holds -Infinity at element 0"),
                e.getMessage());
    }

    /**
     * BLIP-2's tensors are chosen by name before reading too: an unknown name refuses a checkpoint,
     * and LAVIS's separate {@code eva_vit_g.pth}, without its (corrupt) bytes being read; known
     * BLIP-2 names such as EVA's {@code q_bias} and the Q-Former's {@code output_query} still load.
     */
    @Test
    void blip2TensorsAreChosenByNameBeforeTheirBytesAreRead() throws IOException {
        dev.blip4j.models.testing.Golden blip2 = dev.blip4j.models.testing.Golden.of("blip2");
        Map<String, TensorData> all = TorchCheckpoint.read(blip2.original()).tensors();
        List<Crafted.View> extra = List.of(
                new Crafted.View("Qformer.bert.evil", "FloatStorage", "one", 1, 0, new long[] {16384, 16384}, new long[] {0, 0}),
                Crafted.View.of("Qformer.bert.encoder.layer.0.crossattention.gate", "corrupt", 4));
        Path folder = Files.createDirectories(dir.resolve("blip2"));
        Files.copy(blip2.original().resolveSibling("blip2_config.json"), folder.resolve("blip2_config.json"));
        Path f = write(folder.resolve("model.pth"), all, extra, Map.of("one", Crafted.floats(1), "corrupt", new byte[16]),
                "corrupt");
        ModelException e = assertThrows(ModelException.class, () -> load(f));
        assertEquals(f + ": 2 unexpected tensor(s) for this architecture: Qformer.bert.evil,"
                + " Qformer.bert.encoder.layer.0.crossattention.gate", e.getMessage());

        LavisSplit split = LavisSplit.of(all);
        Map<String, TensorData> qformer = split.qformer();
        Map<String, TensorData> vit = split.vit();
        Path lavis = Files.createDirectories(dir.resolve("lavis"));
        Files.copy(blip2.original().resolveSibling("blip2_config.json"), lavis.resolve("blip2_config.json"));
        write(lavis.resolve("blip2_pretrained.pth"), qformer, List.of(), Map.of());
        Path vitFile = write(lavis.resolve(Blip2Files.EVA_VIT_G), vit,
                List.of(Crafted.View.of("blocks.0.attn.evil", "corrupt", 4)), Map.of("corrupt", new byte[16]), "corrupt");
        e = assertThrows(ModelException.class, () -> load(lavis));
        assertEquals(vitFile + ": 1 unexpected tensor(s) for this architecture: blocks.0.attn.evil", e.getMessage());
        assertTrue(all.keySet().stream().anyMatch(k -> k.endsWith(".attn.q_bias"))
                && all.keySet().stream().anyMatch(k -> k.contains(".output_query.")), "the golden holds BLIP-2's own names");
        load(blip2.original()).close();
    }

    /**
     * What refusing each hostile file costs: four 1 GiB broadcasts of one float under unknown names,
     * the same under names the decoder takes, and three 1.5 GiB storages of deflated zeros (4 MB on
     * disk). Before the fixes each cost gigabytes or the heap.
     */
    @Test
    void refusingHostileFilesCostsLittleMemory() throws IOException {
        List<Path> hostile = List.of(unknownBroadcasts("unknown"), knownBroadcasts(), deflatedBombs());
        load(Golden.pth("caption")).close(); // classes and the engine loaded before measuring
        for (Path f : hostile) {
            Footprint cost = footprint(() -> assertThrows(ModelException.class, () -> load(f)));
            System.out.println("refusing " + dir.relativize(f) + ": " + cost);
            assertTrue(cost.largest() < MAX_COST_BYTES, dir.relativize(f) + ": " + cost);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Golden + four [16384, 16384] stride-0 views of one float + one tensor over a corrupt storage. */
    private Path unknownBroadcasts(String name) throws IOException {
        List<Crafted.View> extra = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            extra.add(new Crafted.View("evil." + i, "FloatStorage", "one", 1, 0, new long[] {16384, 16384}, new long[] {0, 0}));
        }
        extra.add(Crafted.View.of(TERMINAL_ATTACK, "corrupt", 4));
        return write(name, golden(), extra, Map.of("one", Crafted.floats(1), "corrupt", new byte[16]),
                "corrupt");
    }

    /** Golden + 1 GiB broadcasts under names of decoder layers the golden model lacks. */
    private Path knownBroadcasts() throws IOException {
        List<Crafted.View> extra = new ArrayList<>();
        for (int i = 5; i < 9; i++) {
            extra.add(new Crafted.View("text_decoder.bert.encoder.layer." + i + ".output.dense.weight", "FloatStorage",
                    "one", 1, 0, new long[] {16384, 16384}, new long[] {0, 0}));
        }
        return write("known", golden(), extra, Map.of("one", Crafted.floats(1)));
    }

    /** Golden + three known-named tensors over 1.5 GiB of deflated zeros each. */
    private Path deflatedBombs() throws IOException {
        int mib = 1536;
        long numel = HostileZip.deflatedZerosSize(mib) / 4;
        List<Crafted.View> extra = new ArrayList<>();
        for (int i = 5; i < 8; i++) {
            extra.add(new Crafted.View("text_decoder.bert.encoder.layer." + i + ".output.dense.weight", "FloatStorage",
                    "bomb" + i, numel, 0, new long[] {numel}, new long[] {1}));
        }
        Path f = write("bombs", golden(), extra, Map.of(), "bomb5", "bomb6", "bomb7");
        assertTrue(Files.size(f) < 8 << 20, Files.size(f) + " bytes");
        return f;
    }

    private static BlipModel load(Path file) {
        return BlipModel.builder(file).tokenizer(Golden.root().resolve("tokenizer/vocab.txt")).load();
    }

    private static Map<String, TensorData> golden() {
        return TorchCheckpoint.read(Golden.pth("caption")).tensors();
    }

    /**
     * Writes {@code tensors} (contiguous, one storage each) and the {@code extra} views over
     * {@code storages} as a .pth beside the golden configuration files; the storages named in
     * {@code bombs} become deflated zeros of 1.5 GiB, or a corrupt deflate stream when called "corrupt".
     */
    private Path write(String name, Map<String, TensorData> tensors, List<Crafted.View> extra,
            Map<String, byte[]> storages, String... bombs) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        for (String config : List.of("blip_config.json", "med_config.json")) {
            Files.copy(Golden.pth("caption").resolveSibling(config), folder.resolve(config));
        }
        return write(folder.resolve("model.pth"), tensors, extra, storages, bombs);
    }

    private static Path write(Path file, Map<String, TensorData> tensors, List<Crafted.View> extra,
            Map<String, byte[]> storages, String... bombs) throws IOException {
        List<Crafted.View> views = new ArrayList<>();
        Map<String, byte[]> data = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> t : tensors.entrySet()) {
            String key = "g" + data.size();
            views.add(Crafted.View.of(t.getKey(), t.getValue().dtype(), key, t.getValue().shape()));
            ByteBuffer b = t.getValue().data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            data.put(key, bytes);
        }
        views.addAll(extra);
        data.putAll(storages);
        HostileZip zip = new HostileZip().stored("archive/data.pkl", Crafted.stateDict(views));
        data.forEach((key, bytes) -> {
            if (!List.of(bombs).contains(key)) {
                zip.stored("archive/data/" + key, bytes);
            }
        });
        for (String bomb : bombs) {
            if (bomb.equals("corrupt")) {
                zip.corrupt("archive/data/" + bomb, 16);
            } else {
                zip.deflatedZeros("archive/data/" + bomb, 1536);
            }
        }
        return zip.write(file);
    }

    /**
     * What {@code action} cost: the heap this thread allocated (every allocation counts, so a
     * gigabyte array shows even where the heap had room for it), and how far direct buffers and
     * resident memory rose above where they started, sampled every millisecond as {@code blip soak}
     * samples resident memory.
     */
    record Footprint(long heapAllocated, long directGrowth, long residentGrowth) {

        long largest() {
            return Math.max(heapAllocated, Math.max(directGrowth, residentGrowth));
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "heap allocated %.1f MiB, direct buffers +%.1f MiB, resident +%.1f MiB",
                    heapAllocated / 1048576.0, directGrowth / 1048576.0, residentGrowth / 1048576.0);
        }
    }

    static Footprint footprint(Runnable action) {
        System.gc();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long resident = residentBytes();
        long direct = directBytes();
        AtomicLong peakResident = new AtomicLong(resident);
        AtomicLong peakDirect = new AtomicLong(direct);
        AtomicBoolean running = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (running.get()) {
                peakResident.accumulateAndGet(residentBytes(), Math::max);
                peakDirect.accumulateAndGet(directBytes(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        long allocated = threads.getCurrentThreadAllocatedBytes();
        try {
            action.run();
        } finally {
            allocated = threads.getCurrentThreadAllocatedBytes() - allocated;
            running.set(false);
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        peakResident.accumulateAndGet(residentBytes(), Math::max);
        peakDirect.accumulateAndGet(directBytes(), Math::max);
        return new Footprint(allocated, peakDirect.get() - direct, peakResident.get() - resident);
    }

    private static long directBytes() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    /** Resident memory from {@code /proc/self/statm} (pages), as {@code blip soak} reads VmRSS. */
    private static long residentBytes() {
        try {
            String[] fields = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
            return Long.parseLong(fields[1]) * 4096;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("this test needs Linux's /proc/self/statm", e);
        }
    }

    @Test
    void theDetectorSeesBigAllocations() {
        // it must fire, or the small footprints above prove nothing
        Footprint heap = footprint(() -> {
            byte[] big = new byte[256 << 20];
            big[big.length - 1] = 1;
            assertEquals(1, big[(256 << 20) - 1]);
        });
        assertTrue(heap.heapAllocated() >= 256L << 20, heap.toString());
        ByteBuffer[] keep = new ByteBuffer[1];
        Footprint direct = footprint(() -> keep[0] = ByteBuffer.allocateDirect(256 << 20));
        assertTrue(direct.directGrowth() >= 256L << 20, direct.toString());
        assertEquals(256 << 20, keep[0].capacity());
    }
}
