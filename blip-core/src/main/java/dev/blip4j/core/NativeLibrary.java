package dev.blip4j.core;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Whether this machine has a PyTorch native library that DJL can load without downloading one,
 * checked before the engine starts so that a missing or foreign jar is reported by name instead of
 * as a failed download. DJL takes libtorch from {@code PYTORCH_LIBRARY_PATH}, from
 * {@code java.library.path}, or from a {@code pytorch-native-*} jar on the class path (its
 * {@code native/lib/pytorch.properties} names the platform it was built for).
 *
 * @param platform this machine as DJL's classifiers spell it ({@code linux-x86_64}, {@code osx-aarch64})
 * @param onClassPath the classifiers of the native jars on the class path
 * @param external whether a libtorch outside the class path is configured
 * @param artifact the native artifact blip4j was built against ({@code ai.djl.pytorch:pytorch-native-cpu})
 * @param version its version ({@code 2.7.1})
 * @param published the classifiers DJL publishes of that version
 */
record NativeLibrary(String platform, List<String> onClassPath, boolean external, String artifact, String version,
        List<String> published) {

    /** What this JVM sees. */
    static NativeLibrary detect() {
        Properties built = new Properties();
        try (InputStream in = NativeLibrary.class.getResourceAsStream("native-library.properties")) {
            if (in != null) {
                built.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new NativeLibrary(platform(System.getProperty("os.name"), System.getProperty("os.arch")),
                classPathClassifiers(), externalLibrary(),
                "ai.djl.pytorch:" + built.getProperty("artifact", "pytorch-native-cpu"),
                built.getProperty("version", "?"),
                List.of(built.getProperty("classifiers", "").split(",")));
    }

    /** DJL's classifier for an {@code os.name} and {@code os.arch}. */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String system = os.startsWith("mac") || os.startsWith("darwin") ? "osx"
                : os.startsWith("windows") ? "win"
                : os.startsWith("linux") ? "linux"
                : os.replaceAll("[^a-z0-9]", "");
        String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> osArch.toLowerCase(Locale.ROOT);
        };
        return system + "-" + arch;
    }

    /** Why the engine cannot start here, or null when a library for this machine is there. */
    String problem() {
        if (external || onClassPath.contains(platform)) {
            return null;
        }
        if (!published.contains(platform)) {
            return "DJL publishes " + artifact + " " + version + " for " + String.join(", ", published)
                    + ", not for this machine (" + platform + "): point PYTORCH_LIBRARY_PATH at a libtorch "
                    + version + " built for it";
        }
        String add = "add " + artifact + ":" + version + " with classifier " + platform
                + " (Maven picks it by itself on this machine; or -Dpytorch.native.classifier=" + platform + ")";
        if (onClassPath.isEmpty()) {
            return "no PyTorch native library on the class path for this machine (" + platform + "): " + add;
        }
        return "the PyTorch native library on the class path is for " + String.join(", ", onClassPath)
                + ", but this machine is " + platform + ": " + add;
    }

    /** Throws a {@link BlipException} naming the platform and the artifact when {@link #problem()} says so. */
    void require() {
        String problem = problem();
        if (problem != null) {
            throw new BlipException("cannot start the PyTorch engine: " + problem);
        }
    }

    private static List<String> classPathClassifiers() {
        List<String> found = new ArrayList<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = NativeLibrary.class.getClassLoader();
        }
        try {
            Enumeration<URL> urls = loader.getResources("native/lib/pytorch.properties");
            while (urls.hasMoreElements()) {
                Properties p = new Properties();
                try (InputStream in = urls.nextElement().openStream()) {
                    p.load(in);
                }
                String classifier = p.getProperty("classifier");
                if (classifier != null && !found.contains(classifier)) {
                    found.add(classifier);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** PYTORCH_LIBRARY_PATH or a libtorch on java.library.path, where DJL looks before the class path. */
    private static boolean externalLibrary() {
        String env = System.getenv("PYTORCH_LIBRARY_PATH");
        if (env != null && !env.isBlank()) {
            return true;
        }
        String libraryPath = System.getProperty("java.library.path", "");
        String torch = System.mapLibraryName("torch");
        for (String dir : libraryPath.split(File.pathSeparator)) {
            if (!dir.isBlank() && Files.isRegularFile(Path.of(dir, torch))) {
                return true;
            }
        }
        return false;
    }
}
