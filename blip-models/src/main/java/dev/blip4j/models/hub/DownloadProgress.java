package dev.blip4j.models.hub;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Told about each file a download fetches. The library's default logs a line when a file starts
 * and when it ends (SLF4J, logger {@code dev.blip4j.models.hub}); the {@code blip} command draws
 * progress bars instead, and an application can do what it likes.
 */
public interface DownloadProgress {

    /** Reports nothing. */
    DownloadProgress NONE = (file, total, resumedFrom) -> new Transfer() {};

    /**
     * @param file the file's name in the repository
     * @param total its size in bytes
     * @param resumedFrom bytes already on disk from an earlier, interrupted attempt
     */
    Transfer start(String file, long total, long resumedFrom);

    /** One file's transfer. */
    interface Transfer {
        /** {@code bytes} more arrived. */
        default void advance(long bytes) {}

        /** The transfer restarted from zero (the server ignored a range request). */
        default void restart() {}

        /** The file is complete (or the transfer gave up). */
        default void end() {}
    }

    /** A log line per file at its start and its end, through SLF4J. */
    static DownloadProgress logging() {
        Logger log = LoggerFactory.getLogger(DownloadProgress.class.getPackageName());
        return (file, total, resumedFrom) -> {
            long started = System.nanoTime();
            log.info(resumedFrom > 0 ? String.format(Locale.ROOT, "downloading %s (%,d bytes, resuming at %,d)", file,
                    total, resumedFrom) : String.format(Locale.ROOT, "downloading %s (%,d bytes)", file, total));
            return new Transfer() {
                @Override
                public void restart() {
                    log.info("restarting {} from the beginning: the server ignored the range request", file);
                }

                @Override
                public void end() {
                    log.info(String.format(Locale.ROOT, "%s done in %.1f s", file, (System.nanoTime() - started) / 1e9));
                }
            };
        };
    }
}
