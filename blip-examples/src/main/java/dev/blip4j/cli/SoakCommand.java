package dev.blip4j.cli;

import ai.djl.ndarray.NDManager;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.BlipTokenizer;
import dev.blip4j.models.text.Padding;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A long run in one JVM, for finding leaks that only weeks of service would show: many mixed
 * calls on one loaded model (captioning with beam search, greedy search and sampling, tokenizing,
 * decoding and preprocessing images), sampling the process's resident memory, heap and live native
 * arrays every {@code --every} calls. Run it with a fixed heap ({@code -Xms} = {@code -Xmx}, and
 * {@code -XX:+AlwaysPreTouch}) so that resident memory moves only with native memory.
 *
 * <p>Hidden from the help: a tool for blip4j's own tests and README figures. Other tasks join by
 * adding their calls to {@link #workloads} (and an option for their model).
 */
@Command(name = "soak", hidden = true,
        description = "Run many mixed calls in one JVM and sample resident memory (leak hunting).")
final class SoakCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--calls", paramLabel = "N", defaultValue = "10000", description = "calls in all (default: ${DEFAULT-VALUE})")
    int calls;

    @Option(names = "--every", paramLabel = "N", defaultValue = "1000", description = "sample every N calls (default: ${DEFAULT-VALUE})")
    int every;

    @Option(names = "--only", paramLabel = "TEXT",
            description = "run only the workloads whose name contains TEXT (to find which one grows)")
    String only;

    /** The images the calls use. */
    @Mixin
    ImageArgs imageArgs;

    private List<Path> images;

    @Spec
    CommandSpec spec;

    /** One kind of call, run in rotation with the others. */
    record Workload(String name, Runnable call) {}

    /** Memory at one point of the run. */
    record Sample(int calls, double seconds, long rssKib, long heapUsedKib, int liveArrays) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("calls", calls);
            m.put("seconds", Math.round(seconds * 10) / 10.0);
            m.put("rss_kib", rssKib);
            m.put("heap_used_kib", heapUsedKib);
            m.put("live_arrays", liveArrays);
            return m;
        }
    }

    @Override
    public Integer call() {
        if (calls < 1 || every < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--calls and --every must be positive");
        }
        images = imageArgs.files(null, false, null);
        PrintWriter out = spec.commandLine().getOut();
        List<Sample> samples = new ArrayList<>();
        List<String> names;
        try (BlipModel m = model.load()) {
            List<Workload> workloads = workloads(m).stream()
                    .filter(w -> only == null || w.name().contains(only)).toList();
            if (workloads.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "no workload matches --only " + only);
            }
            names = workloads.stream().map(Workload::name).toList();
            long start = System.nanoTime();
            for (int i = 0; i <= calls; i++) {
                if (i > 0) {
                    workloads.get((i - 1) % workloads.size()).call().run();
                }
                if (i % every == 0 || i == calls) {
                    Sample s = sample(i, start);
                    samples.add(s);
                    if (!common.json) {
                        out.printf("%7d calls %8.1f s  rss %7.1f MiB  heap %6.1f MiB  live arrays %d%n", s.calls(),
                                s.seconds(), s.rssKib() / 1024.0, s.heapUsedKib() / 1024.0, s.liveArrays());
                        out.flush();
                    }
                }
            }
        }
        if (common.json) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("calls", calls);
            report.put("every", every);
            report.put("workloads", names);
            report.put("samples", samples.stream().map(Sample::toJson).toList());
            out.println(Json.GSON.toJson(report));
        }
        out.flush();
        return 0;
    }

    /** The calls of every task the model serves; images are decoded from the files each time. */
    private List<Workload> workloads(BlipModel m) {
        List<RgbImage> decoded = images.stream().map(m::readImage).toList();
        Captioner beam = new Captioner(m);
        Captioner greedy = new Captioner(m, CaptionOptions.defaults()
                .withGeneration(GenerationConfig.defaults().withGreedy().withLengths(5, 20)));
        Captioner nucleus = new Captioner(m, CaptionOptions.defaults()
                .withGeneration(GenerationConfig.defaults().withNucleus(0.9f).withLengths(5, 20).withSeed(7)));
        BlipTokenizer tok = m.tokenizer();
        List<String> texts = List.of("", "A BLUE elephant near the Café! 😀 猫", "[SEP] typed as text", "word ".repeat(500));
        List<Workload> w = new ArrayList<>();
        w.add(new Workload("caption beam", () -> beam.caption(decoded.get(0))));
        w.add(new Workload("caption greedy batch", () -> greedy.caption(decoded)));
        w.add(new Workload("caption nucleus", () -> nucleus.caption(decoded.get(decoded.size() - 1))));
        w.add(new Workload("tokenize + decode", () -> {
            for (long[] ids : tok.encodeBatch(texts, 40, Padding.LONGEST).ids()) {
                tok.decode(ids);
            }
        }));
        w.add(new Workload("read + preprocess", () -> {
            try (NDManager call = m.network().newManager()) {
                m.pixels(images.stream().map(m::readImage).toList(), call);
            }
        }));
        return w;
    }

    private static Sample sample(int calls, long start) {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return new Sample(calls, (System.nanoTime() - start) / 1e9, rssKib(),
                (rt.totalMemory() - rt.freeMemory()) / 1024, BlipEngine.liveArrayCount());
    }

    /** {@code VmRSS} of {@code /proc/self/status}; -1 where there is no such file (not Linux). */
    static long rssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }
}
