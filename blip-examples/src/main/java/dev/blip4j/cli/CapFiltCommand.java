package dev.blip4j.cli;

import dev.blip4j.models.BlipModel;
import dev.blip4j.capfilt.CandidateRow.Source;
import dev.blip4j.capfilt.CapFiltListener;
import dev.blip4j.capfilt.CapFiltOptions;
import dev.blip4j.capfilt.CapFiltRun;
import dev.blip4j.capfilt.CapFiltSummary;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "capfilt", mixinStandardHelpOptions = true,
        description = {"CapFilt (BLIP section 3.3): caption web images, filter web and synthetic texts by ITM.",
                "Writes all.jsonl (every candidate), kept.jsonl, report.json and report.html to --out; an interrupted "
                        + "run continues where it stopped when run again."})
public final class CapFiltCommand implements Callable<Integer> {

    @Mixin
    CapFiltArgs args;

    @Mixin
    CommonOptions common;

    @Option(names = "--stop-after", paramLabel = "N",
            description = "commit and stop once N more samples are done; run again to continue")
    Long stopAfter;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CapFiltOptions options = args.options(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CapFiltRun.Result result;
        try (BlipModel captioner = args.load(args.captioner()); BlipModel filter = args.load(args.filter())) {
            CapFiltRun run = new CapFiltRun(captioner, filter, options);
            Progress[] progress = new Progress[1];
            result = run.run(args.inputs(), args.out(), new CapFiltListener() {
                @Override
                public void started(long total, long done) {
                    if (done > 0 && done < total) {
                        err.println("continuing: " + done + " of " + total + " samples were done");
                    }
                    progress[0] = new Progress(err, Math.toIntExact(total - done), "samples");
                }

                @Override
                public void committed(long done, long total, int batch) {
                    progress[0].advance(batch);
                }
            }, stopAfter == null ? Long.MAX_VALUE : stopAfter);
            if (progress[0] != null) {
                progress[0].stop();
            }
        }
        if (!result.complete()) {
            err.println("stopped after " + result.processed() + " samples; run the same command again to continue");
        }
        if (common.json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("out", args.out().toString());
            o.put("complete", result.complete());
            o.put("samples", result.samples());
            o.put("processed", result.processed());
            if (result.summary() != null) {
                for (Source s : Source.values()) {
                    o.put(s.label(), counts(result.summary(), s));
                }
            }
            out.println(Json.GSON.toJson(o));
        } else if (result.summary() != null) {
            printCounts(out, result.summary());
            out.println("wrote " + args.out().resolve(CapFiltRun.ALL) + ", " + CapFiltRun.KEPT + ", report.json, report.html");
        }
        out.flush();
        err.flush();
        return result.summary() == null ? 0 : exitCode(result.summary());
    }

    /** One line per source: candidates in, kept, removed, errors. */
    public static void printCounts(PrintWriter out, CapFiltSummary s) {
        for (Source src : Source.values()) {
            long in = s.candidates(src);
            out.printf(Locale.ROOT, "%-9s %d in, %d kept (%.1f%%), %d removed, %d errors%n", src.label(), in,
                    s.kept(src), in == 0 ? 0.0 : 100.0 * s.kept(src) / in, s.scored(src) - s.kept(src),
                    s.errors(src));
        }
    }

    /** 4 when some candidates could not be scored (their rows say why), else 0. */
    public static int exitCode(CapFiltSummary s) {
        return s.errors(Source.WEB) + s.errors(Source.SYNTHETIC) > 0 ? BlipCli.EXIT_INPUT : 0;
    }

    private static Map<String, Object> counts(CapFiltSummary s, Source src) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("in", s.candidates(src));
        o.put("kept", s.kept(src));
        o.put("removed", s.scored(src) - s.kept(src));
        o.put("errors", s.errors(src));
        return o;
    }
}
