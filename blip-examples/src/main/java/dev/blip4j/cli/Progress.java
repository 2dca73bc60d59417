package dev.blip4j.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr with throughput and ETA, for commands over many inputs. It
 * stays silent for a handful of items, so single runs print only their results.
 */
final class Progress {

    private static final int QUIET_BELOW = 5;

    private final ProgressBar bar;

    Progress(PrintWriter err, int total, String unit) {
        this.bar = total >= QUIET_BELOW ? new ProgressBar(err, "", total, 0, ProgressBar.Units.COUNT, unit) : null;
    }

    void advance(int items) {
        if (bar != null) {
            bar.advance(items);
        }
    }

    /** Ends the bar's line when a run stops before its total (an interrupted or limited run). */
    void stop() {
        if (bar != null) {
            bar.finish();
        }
    }
}
