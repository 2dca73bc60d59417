package dev.blip4j.models.hub;

import java.io.PrintWriter;

/**
 * Told about each file a download fetches. The default draws a {@link ProgressBar} per file on
 * stderr, like huggingface_hub's tqdm bars.
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

    /** Progress bars on the given stream (stderr for the CLI and the library's default). */
    static DownloadProgress bars(PrintWriter err) {
        return (file, total, resumedFrom) -> new Transfer() {
            private ProgressBar bar = new ProgressBar(err, file, total, resumedFrom, ProgressBar.Units.BYTES, null);

            @Override
            public void advance(long bytes) {
                bar.advance(bytes);
            }

            @Override
            public void restart() {
                bar.finish();
                bar = new ProgressBar(err, file, total, 0, ProgressBar.Units.BYTES, null);
            }

            @Override
            public void end() {
                bar.finish();
            }
        };
    }

    /** Bars on this process's stderr. */
    static DownloadProgress stderr() {
        return bars(new PrintWriter(System.err, true));
    }
}
