package dev.blip4j.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr with throughput and ETA, for commands over many inputs. It
 * stays silent for a handful of items, so single runs print only their results.
 */
final class Progress {

    private static final int QUIET_BELOW = 5;

    private final PrintWriter err;
    private final int total;
    private final String unit;
    private final long start = System.nanoTime();
    private final boolean shown;
    private int done;

    Progress(PrintWriter err, int total, String unit) {
        this.err = err;
        this.total = total;
        this.unit = unit;
        this.shown = total >= QUIET_BELOW;
    }

    void advance(int items) {
        done += items;
        if (!shown) {
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : 0;
        int width = 30;
        int filled = (int) ((long) width * done / Math.max(total, 1));
        err.printf("\r[%s%s] %d/%d %s %s/s ETA %ds ", "#".repeat(filled), " ".repeat(width - filled), done, total,
                rate(rate), unit, Math.round(eta));
        if (done >= total) {
            err.println();
        }
        err.flush();
    }

    /** Ends the bar's line when it was shown and stopped short of the total (e.g. a run told to stop early). */
    void stop() {
        if (shown && done < total) {
            err.println();
            err.flush();
        }
    }

    /** Slow runs (large models on CPUs) still show a useful rate: 0.045, not 0.0. */
    private static String rate(double r) {
        return r >= 1 ? String.format(java.util.Locale.ROOT, "%.1f", r)
                : String.format(java.util.Locale.ROOT, "%.3f", r);
    }
}
