package dev.blip4j.capfilt;

import dev.blip4j.core.InputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Finds and reads CapFilt inputs: JSON Lines files ({@code .jsonl}, {@code .ndjson}) of
 * {@code {"image": ..., "text": ..., ...}} records ({@link JsonlSamples}) and WebDataset tar
 * shards ({@code .tar}) as img2dataset writes them ({@link WebDatasetSamples}). A folder means
 * every such file below it, in path order, so that the sample order (and a resumed run's position
 * in it) does not depend on the file system.
 */
public final class SampleReader {

    /** Fields a CapFilt output row has of its own; input fields of these names are carried as {@code input_<name>}. */
    public static final List<String> RESERVED = List.of("key", "image", "text", "source", "itm", "itc", "kept",
            "error");

    private SampleReader() {}

    /**
     * The input files of {@code input}: the file itself (a {@code .tar} is a shard, anything else
     * JSON Lines), or the {@code .jsonl}, {@code .ndjson} and {@code .tar} files below a folder,
     * sorted by path.
     *
     * @throws InputException if the input does not exist, or a folder holds no input file
     */
    public static List<InputFile> files(Path input) {
        if (Files.isRegularFile(input)) {
            return List.of(new InputFile(input.toString(), input.getFileName().toString(), isTar(input)));
        }
        if (!Files.isDirectory(input)) {
            throw new InputException(input + ": no such file or folder");
        }
        List<InputFile> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(input)) {
            for (Path p : walk.filter(Files::isRegularFile).filter(SampleReader::isInput).sorted().toList()) {
                out.add(new InputFile(p.toString(), input.relativize(p).toString().replace('\\', '/'), isTar(p)));
            }
        } catch (IOException | UncheckedIOException e) {
            throw new InputException("cannot list folder " + input + " (" + e.getMessage() + ")", e);
        }
        if (out.isEmpty()) {
            throw new InputException(input + ": no .jsonl, .ndjson or .tar files in this folder");
        }
        return out;
    }

    /** The input files of several inputs, in the order given. */
    public static List<InputFile> files(List<Path> inputs) {
        List<InputFile> out = new ArrayList<>();
        for (Path p : inputs) {
            out.addAll(files(p));
        }
        return out;
    }

    /** Every sample of a file. */
    public static SampleIterator open(InputFile file) {
        return open(file, null);
    }

    /**
     * The samples of a file.
     *
     * @param wanted called once per sample, in order, with its key, before its data is read; a
     *     sample it refuses is still returned (key and image reference only), without reading its
     *     image or text. Null reads everything.
     */
    public static SampleIterator open(InputFile file, Predicate<String> wanted) {
        Predicate<String> w = wanted == null ? k -> true : wanted;
        return file.shard() ? new WebDatasetSamples(file, w) : new JsonlSamples(file, w);
    }

    /** How many samples the files hold (JSON Lines: non-blank lines; shards: sample groups, data skipped). */
    public static long count(List<InputFile> files) {
        long n = 0;
        for (InputFile f : files) {
            if (f.shard()) {
                try (SampleIterator it = open(f, k -> false)) {
                    while (it.hasNext()) {
                        it.next();
                        n++;
                    }
                }
            } else {
                try (BufferedReader r = JsonlSamples.reader(f.file())) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (!line.isBlank()) {
                            n++;
                        }
                    }
                } catch (IOException | UncheckedIOException e) {
                    // the iteration reports it as one failed sample
                    n++;
                }
            }
        }
        return n;
    }

    private static boolean isInput(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".tar");
    }

    private static boolean isTar(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tar");
    }

    /** An input field's name in the output: reserved names get the {@code input_} prefix. */
    static String carriedName(String name) {
        return RESERVED.contains(name) ? "input_" + name : name;
    }
}
