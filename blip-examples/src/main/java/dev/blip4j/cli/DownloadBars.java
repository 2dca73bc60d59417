package dev.blip4j.cli;

import dev.blip4j.models.hub.DownloadProgress;
import java.io.PrintWriter;

/** A {@link ProgressBar} per downloaded file, like huggingface_hub's tqdm bars. */
final class DownloadBars implements DownloadProgress {

    private final PrintWriter err;

    DownloadBars(PrintWriter err) {
        this.err = err;
    }

    @Override
    public Transfer start(String file, long total, long resumedFrom) {
        return new Transfer() {
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
}
