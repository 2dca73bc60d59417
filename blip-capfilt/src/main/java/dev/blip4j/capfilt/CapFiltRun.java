package dev.blip4j.capfilt;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.AtomicFileWriter;
import dev.blip4j.models.checkpoint.FolderLock;
import dev.blip4j.models.features.ModelIdentity;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CapFilt over a whole input on one machine, writing an output folder:
 * <ul>
 *   <li>{@code all.jsonl}: every candidate ({@link CandidateRow}), in input order;</li>
 *   <li>{@code kept.jsonl}: the kept ones, the same lines;</li>
 *   <li>{@code report.json} and {@code report.html} ({@link CapFiltReport}), written at the end.</li>
 * </ul>
 * <b>Resumable.</b> Work is committed per batch: the batch's rows are appended to both files and
 * flushed to disk, then {@code .capfilt-state.json} (samples done, committed file lengths, last key)
 * is replaced atomically. A run that stops (crash, kill, a listener that throws, a sample limit)
 * leaves the output as of its last commit; running it again cuts off any uncommitted tail, skips
 * the samples done (reading no images for them) and continues, so the final files are byte for
 * byte those of an uninterrupted run. The state also records the options, the models' SHA-256 and
 * the inputs: continuing with other ones is refused. One run at a time may write a folder.
 */
public final class CapFiltRun {

    public static final String ALL = "all.jsonl";
    public static final String KEPT = "kept.jsonl";
    public static final String STATE = ".capfilt-state.json";
    private static final String LOCK = ".capfilt.lock";
    private static final int STATE_VERSION = 1;

    private final BlipModel captioner;
    private final BlipModel filter;
    private final CapFilt capfilt;

    public CapFiltRun(BlipModel captioner, BlipModel filter, CapFiltOptions options) {
        this.captioner = captioner;
        this.filter = filter;
        this.capfilt = new CapFilt(captioner, filter, options);
    }

    public CapFilt capfilt() {
        return capfilt;
    }

    /**
     * What a call did.
     *
     * @param samples samples in the input
     * @param processed samples this call processed (the others were done before)
     * @param complete whether the whole input is done and the report written
     * @param summary the output's summary when complete, else null
     */
    public record Result(long samples, long processed, boolean complete, CapFiltSummary summary) {}

    /** Runs (or continues) to the end of the input. */
    public Result run(List<Path> inputs, Path out, CapFiltListener listener) {
        return run(inputs, out, listener, Long.MAX_VALUE);
    }

    /**
     * Runs (or continues), stopping after the first commit that brings this call's count to
     * {@code stopAfter} samples or more; run again to continue.
     */
    public Result run(List<Path> inputs, Path out, CapFiltListener listener, long stopAfter) {
        if (stopAfter < 1) {
            throw new InputException("the number of samples to stop after must be at least 1, got " + stopAfter);
        }
        CapFiltListener l = listener == null ? CapFiltListener.NONE : listener;
        List<InputFile> files = SampleReader.files(inputs);
        JsonObject identity = identity(files);
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new InputException(out + ": cannot create the output folder (" + e.getMessage() + ")", e);
        }
        try (FolderLock lock = FolderLock.acquire(out.resolve(LOCK),
                out + " is being written by another CapFilt run; wait for it to finish")) {
            State state = State.open(out, identity);
            long total = SampleReader.count(files);
            l.started(total, state.done);
            long processed = state.complete ? 0 : process(files, out, state, total, l, stopAfter);
            if (state.done < total && !state.complete) {
                return new Result(total, processed, false, null);
            }
            CapFiltSummary summary = summarize(out.resolve(ALL));
            writeReport(out, files, summary, identity);
            if (!state.complete) {
                state.complete = true;
                state.write(out);
            }
            return new Result(total, processed, true, summary);
        } catch (IOException e) {
            throw new InputException(out + ": cannot write the output (" + e.getMessage() + ")", e);
        }
    }

    private long process(List<InputFile> files, Path out, State state, long total, CapFiltListener l, long stopAfter)
            throws IOException {
        long skip = state.done;
        long[] seen = {0};
        String[] lastSkipped = {null};
        long processed = 0;
        List<Sample> batch = new ArrayList<>();
        int size = capfilt.options().batchSize();
        try (FileChannel all = FileChannel.open(out.resolve(ALL), StandardOpenOption.WRITE);
                FileChannel kept = FileChannel.open(out.resolve(KEPT), StandardOpenOption.WRITE)) {
            all.position(state.allBytes);
            kept.position(state.keptBytes);
            for (InputFile f : files) {
                try (SampleIterator it = SampleReader.open(f, key -> {
                    long i = seen[0]++;
                    if (i == skip - 1) {
                        lastSkipped[0] = key;
                    }
                    return i >= skip;
                })) {
                    while (it.hasNext()) {
                        Sample s = it.next();
                        if (seen[0] <= skip) {
                            continue;
                        }
                        if (skip > 0 && lastSkipped[0] != null) {
                            checkResumePoint(lastSkipped[0], state, out);
                            lastSkipped[0] = null;
                        }
                        batch.add(s);
                        if (batch.size() == size) {
                            processed += commit(batch, all, kept, state, out, total, l);
                            if (processed >= stopAfter) {
                                return processed;
                            }
                        }
                    }
                }
            }
            if (seen[0] < skip) {
                throw new InputException(out + " holds " + skip + " samples done but the input now has only " + seen[0]
                        + ": the inputs changed; use a new output folder");
            }
            if (skip > 0 && lastSkipped[0] != null) {
                checkResumePoint(lastSkipped[0], state, out);
            }
            if (!batch.isEmpty()) {
                processed += commit(batch, all, kept, state, out, total, l);
            }
        }
        return processed;
    }

    private static void checkResumePoint(String key, State state, Path out) {
        if (!key.equals(state.lastKey)) {
            throw new InputException(out + ": the last sample done was " + state.lastKey + " but that place in the "
                    + "input now holds " + key + ": the inputs changed; use a new output folder");
        }
    }

    private int commit(List<Sample> batch, FileChannel all, FileChannel kept, State state, Path out, long total,
            CapFiltListener l) throws IOException {
        List<CandidateRow> rows = capfilt.process(batch);
        StringBuilder a = new StringBuilder();
        StringBuilder k = new StringBuilder();
        for (CandidateRow r : rows) {
            String line = r.toJson() + "\n";
            a.append(line);
            if (r.kept()) {
                k.append(line);
            }
        }
        state.allBytes += write(all, a);
        state.keptBytes += write(kept, k);
        all.force(false);
        kept.force(false);
        int n = batch.size();
        state.done += n;
        state.lastKey = batch.get(n - 1).key();
        batch.clear();
        state.write(out);
        l.committed(state.done, total, n);
        return n;
    }

    private static long write(FileChannel channel, CharSequence text) throws IOException {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(text.toString());
        long n = bytes.remaining();
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        return n;
    }

    /** The summary of an {@code all.jsonl} file. */
    public static CapFiltSummary summarize(Path allJsonl) {
        CapFiltSummary summary = new CapFiltSummary();
        try (BufferedReader r = Files.newBufferedReader(allJsonl, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isEmpty()) {
                    summary.add(CandidateRow.fromJson(line));
                }
            }
        } catch (IOException e) {
            throw new InputException(allJsonl + ": cannot read (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            throw new InputException(allJsonl + ": " + e.getMessage(), e);
        }
        return summary;
    }

    private void writeReport(Path out, List<InputFile> files, CapFiltSummary summary, JsonObject identity)
            throws IOException {
        JsonObject run = new JsonObject();
        run.addProperty("captioner", captioner.info().weights().toString());
        run.addProperty("filter", filter.info().weights().toString());
        run.add("inputs", identity.get("inputs"));
        run.add("options", capfilt.options().toJson());
        String json = CapFiltReport.json(summary, run);
        String html = CapFiltReport.html(summary, run, capfilt.options().threshold(),
                CapFiltReport.thumbnails(files, summary, captioner.imageLoader()));
        AtomicFileWriter.write(out.resolve(CapFiltReport.JSON), p -> Files.writeString(p, json, StandardCharsets.UTF_8));
        AtomicFileWriter.write(out.resolve(CapFiltReport.HTML), p -> Files.writeString(p, html, StandardCharsets.UTF_8));
    }

    /** What a run's output depends on: options (batch size aside), models' SHA-256, input files. */
    private JsonObject identity(List<InputFile> files) {
        JsonObject o = new JsonObject();
        JsonObject options = capfilt.options().toJson();
        options.remove("batch_size");
        o.add("options", options);
        o.addProperty("captioner_sha256", ModelIdentity.of(captioner).sha256());
        o.addProperty("filter_sha256", ModelIdentity.of(filter).sha256());
        JsonArray in = new JsonArray();
        files.forEach(f -> in.add(f.path()));
        o.add("inputs", in);
        // as it will be read back from the state file, so that equal settings compare equal
        return JsonParser.parseString(o.toString()).getAsJsonObject();
    }

    /** The committed position of a run. */
    private static final class State {
        JsonObject identity;
        long done;
        long allBytes;
        long keptBytes;
        String lastKey;
        boolean complete;

        /** Reads the state (cutting uncommitted tails off the files) or starts a new output. */
        static State open(Path out, JsonObject identity) throws IOException {
            Path file = out.resolve(STATE);
            State s = new State();
            s.identity = identity;
            if (!Files.exists(file)) {
                for (String name : List.of(ALL, KEPT, CapFiltReport.JSON)) {
                    if (Files.exists(out.resolve(name))) {
                        throw new InputException(out + " already holds " + name + " but no CapFilt run state ("
                                + STATE + "): use an empty or new output folder");
                    }
                }
                Files.write(out.resolve(ALL), new byte[0]);
                Files.write(out.resolve(KEPT), new byte[0]);
                s.write(out);
                return s;
            }
            JsonObject o;
            try {
                o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
                if (o.get("version").getAsInt() != STATE_VERSION) {
                    throw new InputException(file + ": state version " + o.get("version") + " is not "
                            + STATE_VERSION + "; use a new output folder");
                }
                s.done = o.get("samples_done").getAsLong();
                s.allBytes = o.get("all_bytes").getAsLong();
                s.keptBytes = o.get("kept_bytes").getAsLong();
                s.lastKey = o.get("last_key").isJsonNull() ? null : o.get("last_key").getAsString();
                s.complete = o.get("complete").getAsBoolean();
            } catch (RuntimeException e) {
                if (e instanceof InputException ie) {
                    throw ie;
                }
                throw new InputException(file + ": not a CapFilt run state (" + e.getMessage() + ")", e);
            }
            JsonObject was = o.getAsJsonObject("identity");
            if (!was.equals(identity)) {
                throw new InputException(out + " holds a CapFilt run with other " + differences(was, identity)
                        + ": continue it with the same ones, or use a new output folder");
            }
            truncate(out.resolve(ALL), s.allBytes);
            truncate(out.resolve(KEPT), s.keptBytes);
            return s;
        }

        private static String differences(JsonObject was, JsonObject now) {
            List<String> names = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : now.entrySet()) {
                if (!e.getValue().equals(was.get(e.getKey()))) {
                    names.add(e.getKey().replace("_sha256", " model"));
                }
            }
            return names.isEmpty() ? "settings" : String.join(", ", names);
        }

        private static void truncate(Path file, long length) throws IOException {
            long size = Files.exists(file) ? Files.size(file) : -1;
            if (size < length) {
                throw new InputException(file + " is shorter (" + size + " bytes) than its committed " + length
                        + " bytes: the output was changed; use a new output folder");
            }
            if (size > length) {
                try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    c.truncate(length);
                }
            }
        }

        void write(Path out) throws IOException {
            JsonObject o = new JsonObject();
            o.addProperty("version", STATE_VERSION);
            o.addProperty("samples_done", done);
            o.addProperty("all_bytes", allBytes);
            o.addProperty("kept_bytes", keptBytes);
            o.addProperty("last_key", lastKey);
            o.addProperty("complete", complete);
            o.add("identity", identity);
            String text = o.toString();
            AtomicFileWriter.write(out.resolve(STATE), p -> Files.writeString(p, text, StandardCharsets.UTF_8));
        }
    }
}
