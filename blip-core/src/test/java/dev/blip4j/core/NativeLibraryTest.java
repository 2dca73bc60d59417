package dev.blip4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine names the platform and the jar to add when the class path has no PyTorch native
 * library for this machine, and the platforms it knows are exactly those the POM's profiles select.
 */
class NativeLibraryTest {

    static final List<String> PUBLISHED = List.of("linux-x86_64", "linux-aarch64", "osx-aarch64", "win-x86_64");

    static NativeLibrary on(String platform, List<String> jars) {
        return new NativeLibrary(platform, jars, false, "ai.djl.pytorch:pytorch-native-cpu", "2.7.1", PUBLISHED);
    }

    @Test
    void platformsAreSpelledAsDjlClassifiers() {
        assertEquals("linux-x86_64", NativeLibrary.platform("Linux", "amd64"));
        assertEquals("linux-aarch64", NativeLibrary.platform("Linux", "aarch64"));
        assertEquals("osx-aarch64", NativeLibrary.platform("Mac OS X", "aarch64"));
        assertEquals("osx-x86_64", NativeLibrary.platform("Mac OS X", "x86_64"));
        assertEquals("win-x86_64", NativeLibrary.platform("Windows 11", "amd64"));
    }

    @Test
    void eachMissingLibraryIsNamed() {
        assertNull(on("osx-aarch64", List.of("osx-aarch64")).problem());
        assertNull(new NativeLibrary("osx-x86_64", List.of(), true, "a", "2.7.1", PUBLISHED).problem(),
                "PYTORCH_LIBRARY_PATH is DJL's own override");
        assertEquals("no PyTorch native library on the class path for this machine (osx-aarch64): add "
                + "ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier osx-aarch64 (Maven picks it by itself on "
                + "this machine; or -Dpytorch.native.classifier=osx-aarch64)", on("osx-aarch64", List.of()).problem());
        assertTrue(on("win-x86_64", List.of("linux-x86_64")).problem().startsWith(
                "the PyTorch native library on the class path is for linux-x86_64, but this machine is win-x86_64: add "
                        + "ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier win-x86_64"));
        assertEquals("DJL publishes ai.djl.pytorch:pytorch-native-cpu 2.7.1 for linux-x86_64, linux-aarch64, "
                + "osx-aarch64, win-x86_64, not for this machine (osx-x86_64): point PYTORCH_LIBRARY_PATH at a libtorch "
                + "2.7.1 built for it", on("osx-x86_64", List.of("linux-x86_64")).problem());
    }

    /** The build wrote the POM's native artifact into the engine's resource, and its profiles cover that list. */
    @Test
    void theListIsThePomsAndEveryPlatformHasAProfile() throws Exception {
        NativeLibrary here = NativeLibrary.detect();
        assertEquals("ai.djl.pytorch:pytorch-native-cpu", here.artifact());
        assertEquals("2.7.1", here.version());
        assertEquals(PUBLISHED, here.published());
        assertTrue(here.onClassPath().contains(here.platform()), here.toString());
        String pom = Files.readString(Path.of("../pom.xml"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("<id>native-([a-z0-9_-]+)</id>\\s*<activation>.*?</activation>\\s*"
                + "<properties><pytorch.native.classifier>([a-z0-9_-]+)</pytorch.native.classifier>", Pattern.DOTALL)
                .matcher(pom);
        List<String> profiles = new ArrayList<>();
        while (m.find()) {
            assertEquals(m.group(1), m.group(2), "profile native-" + m.group(1));
            profiles.add(m.group(2));
        }
        assertEquals(PUBLISHED, profiles);
    }

    /** A JVM without the native jar: the probe fails at once with the line a user needs, and downloads nothing. */
    @Test
    void withoutTheJarTheErrorNamesPlatformAndArtifact(@TempDir Path cache) throws Exception {
        String classPath = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !Path.of(e).getFileName().toString().startsWith("pytorch-native-"))
                .collect(Collectors.joining(File.pathSeparator));
        assertNotEquals(System.getProperty("java.class.path"), classPath, "the test class path has the native jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java,
                "-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=9", "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=9",
                "-DENGINE_CACHE_DIR=" + cache, "-cp", classPath, OfflineEngineProbe.class.getName())
                .redirectErrorStream(true);
        pb.environment().remove("PYTORCH_LIBRARY_PATH");
        pb.environment().put("ENGINE_CACHE_DIR", cache.toString());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertNotEquals(0, p.exitValue(), out);
        String platform = NativeLibrary.platform(System.getProperty("os.name"), System.getProperty("os.arch"));
        assertTrue(out.contains("cannot start the PyTorch engine: no PyTorch native library on the class path for "
                + "this machine (" + platform + "): add ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier "
                + platform), out);
        try (Stream<Path> files = Files.walk(cache)) {
            assertEquals(List.of(cache), files.toList(), "nothing downloaded or extracted");
        }
    }
}
