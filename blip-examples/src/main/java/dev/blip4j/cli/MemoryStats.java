package dev.blip4j.cli;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The process's memory as the kernel and the JVM see it. Native memory (libtorch's tensors and
 * libraries) is what the JVM's heap figures miss: resident memory minus the committed heap shows it.
 */
record MemoryStats(long rssBytes, long peakRssBytes, long heapUsedBytes, long heapCommittedBytes,
        long directBytes) {

    static MemoryStats now() {
        long rss = -1;
        long peak = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kilobytes(line) * 1024;
                } else if (line.startsWith("VmHWM:")) {
                    peak = kilobytes(line) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave the resident figures unknown
        }
        Runtime rt = Runtime.getRuntime();
        long direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                direct = pool.getMemoryUsed();
            }
        }
        return new MemoryStats(rss, peak, rt.totalMemory() - rt.freeMemory(), rt.totalMemory(), direct);
    }

    /** Resident memory the heap does not account for. */
    long nativeBytes() {
        return rssBytes < 0 ? -1 : rssBytes - heapCommittedBytes;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rss_mb", mb(rssBytes));
        m.put("peak_rss_mb", mb(peakRssBytes));
        m.put("native_mb", mb(nativeBytes()));
        m.put("heap_used_mb", mb(heapUsedBytes));
        m.put("heap_committed_mb", mb(heapCommittedBytes));
        m.put("direct_buffers_mb", mb(directBytes));
        return m;
    }

    static double mb(long bytes) {
        return bytes < 0 ? -1 : Math.round(bytes / 1048576.0 * 10) / 10.0;
    }

    private static long kilobytes(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
