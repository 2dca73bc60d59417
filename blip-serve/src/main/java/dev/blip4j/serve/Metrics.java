package dev.blip4j.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Supplier;

/**
 * The server's metrics in the Prometheus text format: counters and histograms keyed by label
 * values, and gauges read when scraped. Label values come from fixed sets (route names, status
 * codes, model names), never from what a client sends, so their number stays bounded.
 */
final class Metrics {

    /** Request latency buckets, seconds. */
    static final double[] LATENCY = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    /** Batch size buckets: images per ViT pass, rows per decoder step. */
    static final double[] BATCH = {1, 2, 4, 8, 16, 32, 64, 128};

    private record Family(String name, String type, String help) {}

    private final Map<String, Family> families = new ConcurrentHashMap<>();
    private final Map<String, Map<String, AtomicLong>> counters = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Histogram>> histograms = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Supplier<Double>>> gauges = new ConcurrentHashMap<>();

    private static final class Histogram {
        final double[] bounds;
        final AtomicLong[] buckets;
        final DoubleAdder sum = new DoubleAdder();
        final AtomicLong count = new AtomicLong();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.buckets = new AtomicLong[bounds.length];
            for (int i = 0; i < bounds.length; i++) {
                buckets[i] = new AtomicLong();
            }
        }

        void observe(double v) {
            for (int i = 0; i < bounds.length; i++) {
                if (v <= bounds[i]) {
                    buckets[i].incrementAndGet();
                }
            }
            sum.add(v);
            count.incrementAndGet();
        }
    }

    void inc(String name, String help, String... labels) {
        define(name, "counter", help);
        counters.computeIfAbsent(name, n -> new ConcurrentHashMap<>())
                .computeIfAbsent(labels(labels), l -> new AtomicLong()).incrementAndGet();
    }

    void observe(String name, String help, double[] bounds, double value, String... labels) {
        define(name, "histogram", help);
        histograms.computeIfAbsent(name, n -> new ConcurrentHashMap<>())
                .computeIfAbsent(labels(labels), l -> new Histogram(bounds)).observe(value);
    }

    void gauge(String name, String help, Supplier<Double> value, String... labels) {
        define(name, "gauge", help);
        gauges.computeIfAbsent(name, n -> new ConcurrentHashMap<>()).put(labels(labels), value);
    }

    private void define(String name, String type, String help) {
        families.putIfAbsent(name, new Family(name, type, help));
    }

    /** The text exposition format, version 0.0.4. */
    String scrape() {
        StringBuilder out = new StringBuilder();
        for (Family f : new TreeMap<>(families).values()) {
            out.append("# HELP ").append(f.name()).append(' ').append(f.help()).append('\n');
            out.append("# TYPE ").append(f.name()).append(' ').append(f.type()).append('\n');
            switch (f.type()) {
                case "counter" -> new TreeMap<>(counters.getOrDefault(f.name(), Map.of())).forEach((l, v) ->
                        line(out, f.name(), l, v.get()));
                case "gauge" -> new TreeMap<>(gauges.getOrDefault(f.name(), Map.of())).forEach((l, v) ->
                        line(out, f.name(), l, v.get()));
                default -> new TreeMap<>(histograms.getOrDefault(f.name(), Map.of())).forEach((l, h) -> {
                    for (int i = 0; i < h.bounds.length; i++) {
                        line(out, f.name() + "_bucket", join(l, "le=\"" + number(h.bounds[i]) + "\""), h.buckets[i].get());
                    }
                    line(out, f.name() + "_bucket", join(l, "le=\"+Inf\""), h.count.get());
                    line(out, f.name() + "_sum", l, h.sum.sum());
                    line(out, f.name() + "_count", l, h.count.get());
                });
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String name, String labels, double value) {
        out.append(name);
        if (!labels.isEmpty()) {
            out.append('{').append(labels).append('}');
        }
        out.append(' ').append(number(value)).append('\n');
    }

    private static String join(String labels, String more) {
        return labels.isEmpty() ? more : labels + "," + more;
    }

    /** {@code k1, v1, k2, v2...} as {@code k1="v1",k2="v2"}, values escaped. */
    private static String labels(String... pairs) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            String v = pairs[i + 1].replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
            parts.add(pairs[i] + "=\"" + v + "\"");
        }
        return String.join(",", parts);
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%s", v);
    }
}
