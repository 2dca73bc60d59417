package dev.blip4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal stream (stderr), redrawn in place with a carriage return:
 * label, bar, done/total, rate and time left. Counts items ("img") or bytes (shown in KiB/MiB/GiB).
 * Redraws at most every 100 ms and once at the end, so it costs nothing per item or buffer.
 */
public final class ProgressBar {

    /** What is counted. */
    public enum Units {
        /** Items, named by the unit string ("img"). */
        COUNT,
        /** Bytes, shown with binary prefixes. */
        BYTES
    }

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter out;
    private final String label;
    private final long total;
    private final long initial;
    private final Units units;
    private final String unitName;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw = Long.MIN_VALUE;
    private boolean finished;

    /**
     * @param label shown before the bar ("" for none)
     * @param total the amount expected, or a value below 0 when unknown
     * @param initial the amount done before this bar started (a resumed download); not counted in the rate
     * @param unitName the unit of {@link Units#COUNT} ("img"); ignored for bytes
     */
    public ProgressBar(PrintWriter out, String label, long total, long initial, Units units, String unitName) {
        this.out = out;
        this.label = label == null ? "" : label;
        this.total = total;
        this.initial = Math.max(0, initial);
        this.units = units;
        this.unitName = unitName == null ? "" : unitName;
        this.done = this.initial;
    }

    public synchronized void advance(long amount) {
        done += amount;
        long now = System.nanoTime();
        boolean complete = total >= 0 && done >= total;
        if (complete || now - lastDraw >= REDRAW_NANOS) {
            lastDraw = now;
            draw(now);
            if (complete) {
                finish();
            }
        }
    }

    /** Ends the line (once), drawing the final state. */
    public synchronized void finish() {
        if (finished) {
            return;
        }
        finished = true;
        draw(System.nanoTime());
        out.println();
        out.flush();
    }

    public synchronized long done() {
        return done;
    }

    private void draw(long now) {
        double seconds = Math.max((now - start) / 1e9, 1e-9);
        double rate = (done - initial) / seconds;
        StringBuilder line = new StringBuilder("\r");
        if (!label.isEmpty()) {
            line.append(label).append(' ');
        }
        if (total >= 0) {
            int filled = (int) (WIDTH * Math.min(1.0, done / (double) Math.max(total, 1)));
            line.append('[').append("#".repeat(filled)).append(" ".repeat(WIDTH - filled)).append("] ");
            if (units == Units.COUNT) {
                line.append(done).append('/').append(amount(total));
            } else {
                line.append(amount(done)).append('/').append(amount(total));
            }
        } else {
            line.append(amount(done));
        }
        line.append(' ').append(units == Units.COUNT ? rate(rate) + (unitName.isEmpty() ? "" : " " + unitName)
                : amount(Math.round(rate))).append("/s");
        if (total >= 0 && rate > 0) {
            line.append(String.format(Locale.ROOT, " ETA %ds", Math.round((total - done) / rate)));
        }
        line.append(' ');
        out.print(line);
        out.flush();
    }

    /** Slow runs (large models on CPUs) still show a useful rate: 0.045, not 0. */
    private static String rate(double r) {
        return String.format(Locale.ROOT, r >= 10 ? "%.0f" : r >= 1 ? "%.1f" : "%.3f", r);
    }

    private String amount(long n) {
        if (units == Units.COUNT) {
            return n + (unitName.isEmpty() ? "" : " " + unitName);
        }
        if (n < 1024) {
            return n + " B";
        }
        String[] prefixes = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < prefixes.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, prefixes[i]);
    }
}
