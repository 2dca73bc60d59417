package dev.blip4j.cli;

import static dev.blip4j.core.ControlChars.escape;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.retrieval.GalleryIndexer;
import dev.blip4j.models.retrieval.IndexListener;
import dev.blip4j.models.retrieval.IndexOptions;
import dev.blip4j.models.retrieval.IndexReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "index", mixinStandardHelpOptions = true, description = "Build or update a searchable index of images (folders are searched recursively). "
        + "Unchanged images are reused, an interrupted build resumes, and images gone from the folders are dropped.")
final class IndexCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--images", paramLabel = "DIR", description = "a folder of images (or an image); repeat for several"
            + " (or give them as IMAGE_OR_DIR)")
    List<Path> images;

    @Mixin
    ImageArgs imageArgs;

    @Option(names = "--out", required = true, paramLabel = "INDEX_DIR", description = "the index folder, created or updated")
    Path out;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8", description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--chunk-size", paramLabel = "N", defaultValue = "256", description = "images per committed chunk (default: ${DEFAULT-VALUE})")
    int chunkSize;

    @Option(names = "--keep-image-tokens", description = "also store every image's token states for re-ranking "
            + "(about 1.7 MB per image at 384 px) instead of re-reading the files")
    boolean keepImageTokens;

    @Option(names = "--add", description = "add the images, keeping entries not listed (default: the index holds exactly the listed images)")
    boolean add;

    @Spec
    CommandSpec spec;

    /** One listed image's line of {@code --jsonl}: its path as given, and what the build did with it. */
    private static Map<String, Object> item(Path image, String status) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("image", image.toString());
        row.put("status", status);
        return row;
    }

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Path> files = imageArgs.files(images, true, "--images");
        Rows.Format format = common.format();
        boolean streamed = format == Rows.Format.JSONL;
        IndexReport report;
        try (BlipModel m = model.load()) {
            GalleryIndexer indexer = OptionValues.check(spec.commandLine(),
                    () -> new GalleryIndexer(m, new IndexOptions(batchSize, chunkSize, keepImageTokens)));
            IndexListener listener = new IndexListener() {
                private Progress progress;
                private int shown;
                private final Set<Path> failed = new HashSet<>();

                @Override
                public void progress(int done, int total, Path image) {
                    if (progress == null) {
                        progress = new Progress(err, total, "img");
                    }
                    progress.advance(done - shown);
                    shown = done;
                    if (streamed && !failed.contains(image)) {
                        Rows.jsonLine(stdout, item(image, "added"), false);
                    }
                }

                @Override
                public void skipped(Path image, String reason) {
                    String error = reason.contains(image.toString()) ? reason : image + ": " + reason;
                    if (format != Rows.Format.JSON) {
                        err.println("error: " + escape(error));
                    }
                    if (streamed) {
                        failed.add(image);
                        Map<String, Object> row = item(image, "failed");
                        row.put("error", error);
                        Rows.jsonLine(stdout, row, false);
                    }
                }

                @Override
                public void reused(Path image) {
                    if (streamed) {
                        Rows.jsonLine(stdout, item(image, "reused"), false);
                    }
                }
            };
            report = add ? indexer.add(out, files, listener) : indexer.build(out, files, listener);
        }
        if (format == Rows.Format.PLAIN) {
            stdout.printf("%s: %d images (%d reused, %d added, %d removed, %d failed)%n", escape(out.toString()), report.images(),
                    report.reused(), report.added(), report.removed(), report.failed().size());
        } else {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("index", out.toString());
            json.put("images", report.images());
            json.put("reused", report.reused());
            json.put("added", report.added());
            json.put("removed", report.removed());
            List<Map<String, Object>> failed = new ArrayList<>();
            for (IndexReport.Failure f : report.failed()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("image", f.image().toString());
                row.put("error", f.message());
                failed.add(row);
            }
            json.put("failed", failed);
            if (streamed) {
                Rows.jsonLine(stdout, json, false); // the totals close the stream
            } else {
                stdout.println(Json.GSON.toJson(json));
            }
        }
        stdout.flush();
        err.flush();
        return report.failed().isEmpty() ? 0 : BlipCli.EXIT_INPUT;
    }
}
