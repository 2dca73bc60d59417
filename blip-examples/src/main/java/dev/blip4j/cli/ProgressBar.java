package dev.blip4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress on stderr: label, done/total, rate and time left. Counts items ("img") or bytes (shown
 * in KiB/MiB/GiB). On a terminal it is one bar redrawn in place with a carriage return, at most
 * every 100 ms and once at the end. Anywhere else (a log file, CI, a pipe), where a carriage
 * return would pile up or show nothing until the end, it writes a plain line every
 * {@link #LINE_SECONDS} seconds and a last one at the end. Either way it costs nothing per item
 * or buffer.
 */
public final class ProgressBar {

    /** What is counted. */
    public enum Units {
        /** Items, named by the unit string ("img"). */
        COUNT,
        /** Bytes, shown with binary prefixes. */
        BYTES
    }

    /** Seconds between two lines when stderr is not a terminal. */
    static final int LINE_SECONDS = 5;

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long LINE_NANOS = LINE_SECONDS * 1_000_000_000L;

    private final PrintWriter out;
    private final String label;
    private final long total;
    private final long initial;
    private final Units units;
    private final String unitName;
    private final boolean terminal;
    private final LongSupplier clock;
    private final long start;
    private long done;
    private long lastDraw;
    private boolean drawn;
    private boolean finished;

    /**
     * @param label shown before the bar ("" for none)
     * @param total the amount expected, or a value below 0 when unknown
     * @param initial the amount done before this bar started (a resumed download); not counted in the rate
     * @param unitName the unit of {@link Units#COUNT} ("img"); ignored for bytes
     */
    public ProgressBar(PrintWriter out, String label, long total, long initial, Units units, String unitName) {
        this(out, label, total, initial, units, unitName, Terminal.stderrIsTerminal(), System::nanoTime);
    }

    /**
     * @param terminal redraw one bar in place (a terminal) or write lines every few seconds (a log)
     * @param clock nanoseconds, as {@link System#nanoTime()}
     */
    ProgressBar(PrintWriter out, String label, long total, long initial, Units units, String unitName,
            boolean terminal, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.label = label == null ? "" : label;
        this.total = total;
        this.initial = Math.max(0, initial);
        this.units = units;
        this.unitName = unitName == null ? "" : unitName;
        this.done = this.initial;
    }

    public synchronized void advance(long amount) {
        done += amount;
        long now = clock.getAsLong();
        boolean complete = total >= 0 && done >= total;
        if (!terminal) {
            if (complete) {
                finish();
            } else if (now - (drawn ? lastDraw : start) >= LINE_NANOS) {
                drawn = true;
                lastDraw = now;
                line(now, false);
            }
            return;
        }
        if (complete || !drawn || now - lastDraw >= REDRAW_NANOS) {
            drawn = true;
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
        if (!terminal) {
            line(clock.getAsLong(), true);
            return;
        }
        draw(clock.getAsLong());
        out.println();
        out.flush();
    }

    /** One log line: {@code label 120/500 img (24%), 3.2 img/s, ETA 118s}, or {@code done in} at the end. */
    private void line(long now, boolean last) {
        double seconds = Math.max((now - start) / 1e9, 1e-9);
        double rate = (done - initial) / seconds;
        StringBuilder line = new StringBuilder();
        if (!label.isEmpty()) {
            line.append(label).append(' ');
        }
        line.append(units == Units.COUNT ? String.valueOf(done) : amount(done));
        if (total >= 0) {
            line.append('/').append(amount(total)).append(String.format(Locale.ROOT, " (%d%%)",
                    Math.round(100.0 * done / Math.max(total, 1))));
        } else if (units == Units.COUNT && !unitName.isEmpty()) {
            line.append(' ').append(unitName);
        }
        line.append(", ").append(units == Units.COUNT ? rate(rate) + (unitName.isEmpty() ? "" : " " + unitName)
                : amount(Math.round(rate))).append("/s");
        if (last) {
            line.append(String.format(Locale.ROOT, ", done in %ds", Math.round(seconds)));
        } else if (total >= 0 && rate > 0) {
            line.append(String.format(Locale.ROOT, ", ETA %ds", Math.round((total - done) / rate)));
        }
        out.println(line);
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
