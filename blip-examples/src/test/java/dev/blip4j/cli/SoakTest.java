package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short soak: {@code blip soak} runs 1,000 mixed calls on the tiny caption model in a JVM of its
 * own with a fixed, pre-touched heap, so that its resident memory moves only with native memory,
 * JIT code and allocator noise. After warm-up nothing may grow: the live native arrays stay
 * exactly the weights', the heap after GC stays flat, and resident memory stays within a generous
 * noise bound. (The README reports the full 10,000-call run; the exact, per-call proof that no
 * array outlives its call is {@code NativeMemoryLeakTest} in blip-models.)
 */
class SoakTest {

    private static final int CALLS = 1_000;
    private static final int EVERY = 100;
    private static final int WARM_UP = 300;
    /** Allocator and JIT noise is a few MiB here; a leak of 48 KiB per call would cross this in 1,000 calls. */
    private static final long RSS_NOISE_KIB = 48 * 1024;
    private static final long HEAP_NOISE_KIB = 16 * 1024;

    @TempDir
    Path dir;

    @Test
    @EnabledOnOs(OS.LINUX) // resident memory comes from /proc/self/status
    void residentMemoryStaysFlatOverManyCalls() throws Exception {
        Path report = dir.resolve("soak.json");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms192m", "-Xmx192m", "-XX:+AlwaysPreTouch",
                "-Dai.djl.offline=true",
                "-cp", classPath(), BlipCli.class.getName(),
                "soak", "--json", "--calls", Integer.toString(CALLS), "--every", Integer.toString(EVERY),
                "--model", CliRun.golden("caption/hf").toString()));
        for (int i = 0; i < 3; i++) {
            cmd.add(CliRun.golden("images/image" + i + ".png").toString());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(report.toFile())
                .redirectError(dir.resolve("soak.err").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1"); // memory, not speed, is measured: no spinning thread pool
        Process p = pb.start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) { // a hang guard only
            p.destroyForcibly();
            throw new AssertionError("soak did not finish");
        }
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("soak.err")));

        JsonObject json = JsonParser.parseString(Files.readString(report, StandardCharsets.UTF_8)).getAsJsonObject();
        JsonArray samples = json.getAsJsonArray("samples");
        assertEquals(CALLS / EVERY + 1, samples.size());
        assertEquals(5, json.getAsJsonArray("workloads").size());
        int weights = samples.get(0).getAsJsonObject().get("live_arrays").getAsInt();
        assertTrue(weights > 50, "the model's weights are live arrays: " + weights);
        long rssAtWarmUp = -1;
        long heapAtWarmUp = -1;
        long maxRss = 0;
        long maxHeap = 0;
        StringBuilder table = new StringBuilder();
        for (int i = 0; i < samples.size(); i++) {
            JsonObject s = samples.get(i).getAsJsonObject();
            int calls = s.get("calls").getAsInt();
            long rss = s.get("rss_kib").getAsLong();
            long heap = s.get("heap_used_kib").getAsLong();
            assertEquals(weights, s.get("live_arrays").getAsInt(), "live native arrays after " + calls + " calls");
            table.append(String.format("%6d calls  rss %7.1f MiB  heap %5.1f MiB%n", calls, rss / 1024.0, heap / 1024.0));
            if (calls == WARM_UP) {
                rssAtWarmUp = rss;
                heapAtWarmUp = heap;
            } else if (calls > WARM_UP) {
                maxRss = Math.max(maxRss, rss);
                maxHeap = Math.max(maxHeap, heap);
            }
        }
        System.out.print(table);
        System.out.printf("soak: rss growth after warm-up %.1f MiB, heap growth %.1f MiB%n",
                (maxRss - rssAtWarmUp) / 1024.0, (maxHeap - heapAtWarmUp) / 1024.0);
        assertTrue(rssAtWarmUp > 0, "no sample at the end of warm-up");
        assertTrue(maxRss - rssAtWarmUp <= RSS_NOISE_KIB, "resident memory grew after warm-up:\n" + table);
        assertTrue(maxHeap - heapAtWarmUp <= HEAP_NOISE_KIB, "heap grew after warm-up:\n" + table);
    }

    /** The test class path (surefire passes it in a property; its own JVM sees only a booter jar). */
    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        assertTrue(cp.contains("blip-models") || cp.contains("blip4j"), "class path: " + cp);
        return cp.replace(File.pathSeparator + File.pathSeparator, File.pathSeparator);
    }
}
