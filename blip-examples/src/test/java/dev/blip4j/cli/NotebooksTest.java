package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every code cell of every notebook in {@code blip-examples/notebooks} through JShell (the
 * engine the IJava and JJava kernels use), on blip4j's tiny test model, so that the notebooks never
 * rot: a snippet JShell rejects or one that throws fails the build. Kernel magics ({@code %jars},
 * {@code %maven}) are dropped; the class path is this test's. The notebooks read the model, the
 * images and the output folder from system properties, which this test points at the goldens (the model
 * of the kind the notebook's metadata {@code blip4j.test_model} names: {@code caption}, {@code itm},
 * {@code vqa}...), and check that it wrote the pictures its metadata {@code blip4j.outputs} names.
 */
class NotebooksTest {

    private static final Path NOTEBOOKS = Path.of("notebooks");

    static Stream<Path> notebooks() throws IOException {
        try (Stream<Path> files = Files.list(NOTEBOOKS)) {
            List<Path> list = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
            assertFalse(list.isEmpty(), "no notebooks in " + NOTEBOOKS.toAbsolutePath());
            return list.stream();
        }
    }

    private static Path golden() {
        return Path.of(System.getProperty("blip.testResources")).resolve("golden");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notebooks")
    void everyCodeCellRuns(Path notebook) throws IOException {
        JsonObject nb = JsonParser.parseString(Files.readString(notebook, StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("java", nb.getAsJsonObject("metadata").getAsJsonObject("kernelspec").get("language").getAsString());
        List<String> markdown = new ArrayList<>();
        List<String> code = new ArrayList<>();
        for (JsonElement e : nb.getAsJsonArray("cells")) {
            JsonObject cell = e.getAsJsonObject();
            String source = source(cell.get("source"));
            (cell.get("cell_type").getAsString().equals("code") ? code : markdown).add(source);
        }
        assertTrue(markdown.stream().anyMatch(m -> m.contains("%jars") && m.contains("blip.jar")),
                notebook + " must say at the top how to install the kernel and load blip.jar");

        // The tiny golden model of the notebook's kind: metadata {"blip4j": {"test_model": "itm"}}, caption by default;
        // "outputs": the PNG files it must write to blip.out.
        JsonObject meta = nb.getAsJsonObject("metadata").getAsJsonObject("blip4j");
        String kind = meta != null && meta.has("test_model") ? meta.get("test_model").getAsString() : "caption";
        List<String> pictures = new ArrayList<>();
        if (meta != null && meta.has("outputs")) {
            meta.getAsJsonArray("outputs").forEach(o -> pictures.add(o.getAsString()));
        }
        // Outputs stay in target/ for a person to look at (the heat maps, for one).
        Path out = Path.of("target/notebook-outputs").resolve(notebook.getFileName().toString().replace(".ipynb", ""));
        Files.createDirectories(out);
        for (String picture : pictures) {
            Files.deleteIfExists(out.resolve(picture));
        }
        Map<String, String> saved = new HashMap<>();
        assertTrue(Files.isDirectory(golden().resolve(kind).resolve("hf")), notebook + ": no golden model " + kind);
        Map<String, String> props = Map.of(
                "blip.model", golden().resolve(kind).resolve("hf").toString(),
                "blip.images", golden().resolve("images").toString(),
                "blip.out", out.toAbsolutePath().toString());
        props.forEach((k, v) -> saved.put(k, System.setProperty(k, v)));
        try (JShell shell = JShell.builder().executionEngine("local")
                .out(new PrintStream(System.out, true, StandardCharsets.UTF_8))
                .err(new PrintStream(System.err, true, StandardCharsets.UTF_8)).build()) {
            for (String entry : classPath()) {
                shell.addToClasspath(entry);
            }
            for (int i = 0; i < code.size(); i++) {
                run(shell, notebook + " code cell " + (i + 1), withoutMagics(code.get(i)));
            }
        } finally {
            saved.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
        for (String picture : pictures) {
            Path file = out.resolve(picture);
            assertTrue(Files.isRegularFile(file), notebook + " did not write " + picture);
            BufferedImage image = ImageIO.read(file.toFile());
            assertNotNull(image, picture + " is a PNG");
            assertTrue(image.getWidth() > 100 && image.getHeight() > 100, picture + " is " + image.getWidth() + "x"
                    + image.getHeight());
        }
    }

    /** Evaluates a cell snippet by snippet, as a kernel does; fails on a rejected snippet or an exception. */
    private static void run(JShell shell, String where, String source) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = source;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                break;
            }
            if (!info.completeness().isComplete()) {
                fail(where + ": incomplete code: " + remaining);
            }
            for (SnippetEvent event : shell.eval(info.source())) {
                Snippet snippet = event.snippet();
                if (event.status() == Snippet.Status.REJECTED
                        || event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED
                        || event.status() == Snippet.Status.RECOVERABLE_DEFINED) {
                    String diags = shell.diagnostics(snippet).map(d -> message(d, snippet.source()))
                            .collect(Collectors.joining("; "));
                    List<String> unresolved = snippet instanceof jdk.jshell.DeclarationSnippet decl
                            ? shell.unresolvedDependencies(decl).toList() : List.of();
                    fail(where + ": " + event.status() + " " + diags + (unresolved.isEmpty() ? "" : " unresolved " + unresolved)
                            + "\n" + snippet.source());
                }
                if (event.exception() != null) {
                    Throwable e = event.exception();
                    String type = e instanceof EvalException ee ? ee.getExceptionClassName() : e.getClass().getName();
                    AssertionError error = new AssertionError(where + " threw " + type + ": " + e.getMessage()
                            + "\n" + snippet.source());
                    error.initCause(e);
                    throw error;
                }
            }
            remaining = info.remaining();
        }
    }

    private static String message(Diag d, String source) {
        return d.getMessage(null) + " at \"" + source.substring((int) Math.max(0, d.getStartPosition()),
                (int) Math.min(source.length(), Math.max(d.getEndPosition(), d.getStartPosition()))) + "\"";
    }

    /** Drops kernel magics: {@code %%} cell magics take the whole cell, {@code %} line magics one line. */
    static String withoutMagics(String cell) {
        if (cell.stripLeading().startsWith("%%")) {
            return "";
        }
        return cell.lines().filter(l -> !l.stripLeading().startsWith("%")).collect(Collectors.joining("\n"));
    }

    private static String source(JsonElement e) {
        if (e.isJsonArray()) {
            StringBuilder sb = new StringBuilder();
            e.getAsJsonArray().forEach(x -> sb.append(x.getAsString()));
            return sb.toString();
        }
        return e.getAsString();
    }

    /** This test's class path as surefire gives it (its booter jar only points at it). */
    private static List<String> classPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Stream.of(cp.split(java.io.File.pathSeparator)).filter(s -> !s.isBlank()).toList();
    }
}
