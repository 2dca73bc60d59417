package dev.blip4j.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The CPU's model and instruction-set flags as Linux reports them ({@code /proc/cpuinfo}): they
 * decide which kernels run (AVX2, AVX-512, AVX512_BF16, VNNI, AMX). Elsewhere there are no flags.
 */
public final class CpuFeatures {

    private static final String[] INFO = read();

    private CpuFeatures() {}

    public static String model() {
        return INFO[0];
    }

    public static Set<String> flags() {
        return INFO[1].isEmpty() ? Set.of() : Set.of(INFO[1].split(" "));
    }

    public static boolean has(String flag) {
        return flags().contains(flag);
    }

    private static String[] read() {
        String model = System.getProperty("os.arch");
        String flags = "";
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name") && line.contains(":")) {
                    model = line.substring(line.indexOf(':') + 1).strip();
                } else if (line.startsWith("flags") && line.contains(":") && flags.isEmpty()) {
                    flags = String.join(" ", new java.util.TreeSet<>(List.of(
                            line.substring(line.indexOf(':') + 1).strip().split("\\s+"))));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no flags
        }
        return new String[] {model, flags};
    }
}
