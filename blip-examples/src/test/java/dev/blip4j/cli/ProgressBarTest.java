package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress where stderr is a log: a plain line every few seconds with done/total, rate and ETA. */
class ProgressBarTest {

    static final long SECOND = 1_000_000_000L;

    @Test
    void aLogGetsALineEveryFewSecondsAndOneAtTheEnd() {
        StringWriter text = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        ProgressBar bar = new ProgressBar(new PrintWriter(text), "caption", 100, 0, ProgressBar.Units.COUNT, "img",
                false, now::get);
        for (int i = 1; i <= 100; i++) {
            now.set(i * SECOND / 4); // 4 images a second, 25 s in all
            bar.advance(1);
        }
        List<String> lines = text.toString().lines().toList();
        assertFalse(text.toString().contains("\r"), "no carriage returns in a log");
        assertEquals(5, lines.size(), "at 5, 10, 15 and 20 s, then the end: " + text);
        assertEquals("caption 20/100 img (20%), 4.0 img/s, ETA 20s", lines.get(0));
        assertEquals("caption 40/100 img (40%), 4.0 img/s, ETA 15s", lines.get(1));
        assertEquals("caption 100/100 img (100%), 4.0 img/s, done in 25s", lines.get(lines.size() - 1));
    }

    @Test
    void bytesOfADownloadInALog() {
        StringWriter text = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        ProgressBar bar = new ProgressBar(new PrintWriter(text), "model.safetensors", 10L << 20, 0,
                ProgressBar.Units.BYTES, null, false, now::get);
        now.set(6 * SECOND);
        bar.advance(3L << 20);
        assertEquals("model.safetensors 3.0 MiB/10.0 MiB (30%), 512.0 KiB/s, ETA 14s", text.toString().strip());
    }

    @Test
    void aTerminalGetsOneBarRedrawnInPlace() {
        StringWriter text = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        ProgressBar bar = new ProgressBar(new PrintWriter(text), "", 10, 0, ProgressBar.Units.COUNT, "img", true,
                now::get);
        for (int i = 1; i <= 10; i++) {
            now.set(i * SECOND);
            bar.advance(1);
        }
        assertTrue(text.toString().startsWith("\r["), text.toString());
        assertEquals(1, text.toString().chars().filter(c -> c == '\n').count(), "one line, ended once");
    }
}
