package dev.blip4j.capfilt;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.generate.Seeds;
import dev.blip4j.capfilt.CandidateRow.Source;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a CapFilt output holds, gathered row by row: candidates in, scored, kept, removed and failed
 * per source, ITM and ITC histograms per source, and a fixed-size sample of kept, removed and failed
 * rows for people to look at. Summaries of parts merge ({@link #merge}), in any order, into the
 * summary of the whole (the examples are the rows with the smallest hash of key, source and text,
 * so they do not depend on order or partitioning either).
 *
 * <p>Not thread-safe; one per thread or partition, then merged.
 */
public final class CapFiltSummary implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Histogram bins over [0, 1] (ITM) and [-1, 1] (ITC). */
    public static final int BINS = 20;

    /** Rows of each example list. */
    public static final int EXAMPLES = 12;

    private final long[] in = new long[2];
    private final long[] scored = new long[2];
    private final long[] kept = new long[2];
    private final long[] errors = new long[2];
    private final long[][] itm = new long[2][BINS];
    private final long[][] itc = new long[2][BINS];
    private final List<Example> keptExamples = new ArrayList<>();
    private final List<Example> removedExamples = new ArrayList<>();
    private final List<Example> errorExamples = new ArrayList<>();

    /** A row and its position in the example order. */
    private record Example(long rank, CandidateRow row) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private static final Comparator<Example> ORDER = Comparator.comparingLong(Example::rank)
            .thenComparing(e -> e.row().toJson());

    public void add(CandidateRow r) {
        int s = r.source().ordinal();
        in[s]++;
        Example example = new Example(Seeds.mix(0, r.key() + '\u0000' + r.source().label() + '\u0000' + r.text()), r);
        if (r.error() != null) {
            errors[s]++;
            offer(errorExamples, example);
            return;
        }
        if (r.itm() == null) {
            return;
        }
        scored[s]++;
        itm[s][bin(r.itm(), 0, 1)]++;
        itc[s][bin(r.itc(), -1, 1)]++;
        if (r.kept()) {
            kept[s]++;
            offer(keptExamples, example);
        } else {
            offer(removedExamples, example);
        }
    }

    /** Adds another part's counts and examples to this one; returns this. */
    public CapFiltSummary merge(CapFiltSummary o) {
        for (int s = 0; s < 2; s++) {
            in[s] += o.in[s];
            scored[s] += o.scored[s];
            kept[s] += o.kept[s];
            errors[s] += o.errors[s];
            for (int b = 0; b < BINS; b++) {
                itm[s][b] += o.itm[s][b];
                itc[s][b] += o.itc[s][b];
            }
        }
        o.keptExamples.forEach(e -> offer(keptExamples, e));
        o.removedExamples.forEach(e -> offer(removedExamples, e));
        o.errorExamples.forEach(e -> offer(errorExamples, e));
        return this;
    }

    public long candidates(Source s) {
        return in[s.ordinal()];
    }

    public long scored(Source s) {
        return scored[s.ordinal()];
    }

    public long kept(Source s) {
        return kept[s.ordinal()];
    }

    public long errors(Source s) {
        return errors[s.ordinal()];
    }

    /** ITM histogram counts of a source, {@link #BINS} bins over [0, 1] (the last bin includes 1). */
    public long[] itmHistogram(Source s) {
        return itm[s.ordinal()].clone();
    }

    /** ITC histogram counts of a source, {@link #BINS} bins over [-1, 1]. */
    public long[] itcHistogram(Source s) {
        return itc[s.ordinal()].clone();
    }

    public List<CandidateRow> keptExamples() {
        return keptExamples.stream().map(Example::row).toList();
    }

    public List<CandidateRow> removedExamples() {
        return removedExamples.stream().map(Example::row).toList();
    }

    public List<CandidateRow> errorExamples() {
        return errorExamples.stream().map(Example::row).toList();
    }

    /** The counts, histograms and examples as {@code report.json} holds them (without options). */
    public JsonObject toJson() {
        JsonObject counts = new JsonObject();
        for (Source s : Source.values()) {
            counts.add(s.label(), counts(in[s.ordinal()], scored[s.ordinal()], kept[s.ordinal()], errors[s.ordinal()]));
        }
        counts.add("all", counts(in[0] + in[1], scored[0] + scored[1], kept[0] + kept[1], errors[0] + errors[1]));
        JsonObject histograms = new JsonObject();
        histograms.add("itm", histogram(itm, 0, 1));
        histograms.add("itc", histogram(itc, -1, 1));
        JsonObject examples = new JsonObject();
        examples.add("kept", rows(keptExamples));
        examples.add("removed", rows(removedExamples));
        examples.add("errors", rows(errorExamples));
        JsonObject o = new JsonObject();
        o.add("counts", counts);
        o.add("histograms", histograms);
        o.add("examples", examples);
        return o;
    }

    private static JsonObject counts(long in, long scored, long kept, long errors) {
        JsonObject o = new JsonObject();
        o.addProperty("in", in);
        o.addProperty("scored", scored);
        o.addProperty("kept", kept);
        o.addProperty("removed", scored - kept);
        o.addProperty("errors", errors);
        o.addProperty("keep_ratio", in == 0 ? 0.0 : (double) kept / in);
        return o;
    }

    private static JsonObject histogram(long[][] counts, double min, double max) {
        JsonObject o = new JsonObject();
        o.addProperty("min", min);
        o.addProperty("max", max);
        o.addProperty("bins", BINS);
        for (Source s : Source.values()) {
            JsonArray a = new JsonArray();
            for (long c : counts[s.ordinal()]) {
                a.add(c);
            }
            o.add(s.label(), a);
        }
        return o;
    }

    private static JsonArray rows(List<Example> examples) {
        JsonArray a = new JsonArray();
        for (Example e : examples) {
            a.add(JsonParser.parseString(e.row().toJson()));
        }
        return a;
    }

    /** The bin of {@code v} among {@link #BINS} equal bins over [min, max], out-of-range values clamped. */
    static int bin(double v, double min, double max) {
        int b = (int) Math.floor((v - min) / (max - min) * BINS);
        return Math.max(0, Math.min(BINS - 1, b));
    }

    private static void offer(List<Example> list, Example e) {
        int at = java.util.Collections.binarySearch(list, e, ORDER);
        if (at >= 0) {
            return;
        }
        int insert = -at - 1;
        if (insert >= EXAMPLES) {
            return;
        }
        list.add(insert, e);
        if (list.size() > EXAMPLES) {
            list.remove(list.size() - 1);
        }
    }
}
