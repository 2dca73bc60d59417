package dev.blip4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine starts with the network unreachable and an empty engine cache: the PyTorch native
 * library must come out of the {@code pytorch-native-cpu} jar, never from a download. The child
 * JVM gets an HTTP(S) proxy on a closed port, so any attempt to reach the internet fails.
 */
class OfflineEngineTest {

    @Test
    void engineLoadsFromTheClassPathWithoutNetwork(@TempDir Path cache) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java,
                "-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=9", "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=9",
                "-DENGINE_CACHE_DIR=" + cache, "-DDJL_CACHE_DIR=" + cache,
                "-cp", System.getProperty("java.class.path"), OfflineEngineProbe.class.getName());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("DJL_OFFLINE");
        pb.environment().put("ENGINE_CACHE_DIR", cache.toString());
        pb.environment().put("DJL_CACHE_DIR", cache.toString());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "engine start timed out");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("engine 2.7.1 sum 83.0"), output);
        try (Stream<Path> files = Files.walk(cache)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("libtorch")),
                    "the native library was extracted into the fresh cache " + cache + File.separator);
        }
    }
}
