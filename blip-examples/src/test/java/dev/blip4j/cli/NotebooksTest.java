package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.FormattingStyle;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.awt.image.RenderedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.VarSnippet;
import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The notebooks in {@code blip-examples/notebooks} are stored executed, and stay true: every code
 * cell runs through JShell (the engine of the IJava and JJava kernels) on blip4j's tiny test model
 * of the notebook's kind (metadata {@code blip4j.test_model}), and what it prints (its stdout, and
 * the value of a final expression as {@code text/plain}) must equal the outputs stored in the
 * notebook; a final expression that is an image must be stored as {@code image/png} of the same
 * size. Kernel magics ({@code %jars}) are dropped; the class path is this test's.
 *
 * <p>The first code cell names the model, the images and the output folder ({@code MODEL},
 * {@code IMAGES}, {@code OUT}), relative to the notebooks folder as Jupyter runs them; the test
 * points them at the same files from here. After changing a notebook, store its new outputs with
 * {@code mvn -pl blip-examples -am test -Dtest=NotebooksTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dblip.notebooks.write=true} and check the diff.
 */
class NotebooksTest {

    private static final Path NOTEBOOKS = Path.of("notebooks");
    private static final Pattern SETTING = Pattern.compile("String (MODEL|IMAGES|OUT) = \"([^\"]*)\";");

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

    /** What one code cell showed: the text it printed, and the value of its final expression. */
    record CellOutput(String stdout, String text, RenderedImage image) {}

    @ParameterizedTest(name = "{0}")
    @MethodSource("notebooks")
    void storedOutputsAreWhatTheCellsPrint(Path notebook) throws Exception {
        JsonObject nb = JsonParser.parseString(Files.readString(notebook, StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("java", nb.getAsJsonObject("metadata").getAsJsonObject("kernelspec").get("language").getAsString());
        List<JsonObject> code = new ArrayList<>();
        List<String> markdown = new ArrayList<>();
        for (JsonElement e : nb.getAsJsonArray("cells")) {
            JsonObject cell = e.getAsJsonObject();
            if (cell.get("cell_type").getAsString().equals("code")) {
                code.add(cell);
            } else {
                markdown.add(source(cell.get("source")));
            }
        }
        assertTrue(markdown.stream().anyMatch(m -> m.contains("%jars") && m.contains("blip.jar")),
                notebook + " must say at the top how to install the kernel and load blip.jar");
        JsonObject meta = nb.getAsJsonObject("metadata").getAsJsonObject("blip4j");
        String kind = meta != null && meta.has("test_model") ? meta.get("test_model").getAsString() : "caption";
        Path out = Path.of("target/notebook-outputs").resolve(notebook.getFileName().toString().replace(".ipynb", ""));
        Files.createDirectories(out);

        // The settings cell, with the stored model being the golden one of this kind, pointed at it from here.
        String settings = source(code.get(0).get("source"));
        Map<String, String> stored = new java.util.HashMap<>();
        Matcher m = SETTING.matcher(settings);
        while (m.find()) {
            stored.put(m.group(1), m.group(2));
        }
        assertEquals("../../src-test-resources/golden/" + kind + "/hf", stored.get("MODEL"),
                notebook + ": the first code cell's MODEL is the model its stored outputs come from");
        Map<String, String> here = Map.of("MODEL", golden().resolve(kind).resolve("hf").toString(),
                "IMAGES", golden().resolve("images").toString(), "OUT", out.toAbsolutePath().toString());
        String pointed = SETTING.matcher(settings).replaceAll(r -> "String " + r.group(1) + " = \""
                + Matcher.quoteReplacement(here.get(r.group(1)).replace("\\", "\\\\")) + "\";");

        List<CellOutput> outputs = new ArrayList<>();
        try (JShell shell = JShell.builder().executionEngine(new Capturing(), Map.of()).build()) {
            for (String entry : classPath()) {
                shell.addToClasspath(entry);
            }
            for (int i = 0; i < code.size(); i++) {
                String source = i == 0 ? pointed : source(code.get(i).get("source"));
                outputs.add(run(shell, notebook + " code cell " + (i + 1), withoutMagics(source)));
            }
        }
        if (Boolean.getBoolean("blip.notebooks.write")) {
            write(notebook, nb, code, outputs);
            return;
        }
        for (int i = 0; i < code.size(); i++) {
            String where = notebook + " code cell " + (i + 1);
            JsonArray saved = code.get(i).getAsJsonArray("outputs");
            CellOutput now = outputs.get(i);
            assertEquals(now.stdout(), storedText(saved, "stream"), where + ": printed text differs from the stored"
                    + " output (re-store with -Dblip.notebooks.write=true if the change is intended)");
            assertEquals(now.text(), storedText(saved, "execute_result"), where + ": value differs from the stored one");
            BufferedImage png = storedImage(saved);
            assertEquals(now.image() != null, png != null, where + ": an image value is stored as image/png");
            if (png != null) {
                assertEquals(now.image().getWidth() + "x" + now.image().getHeight(), png.getWidth() + "x" + png.getHeight(),
                        where + ": stored picture size");
            }
        }
    }

    /** Runs a cell snippet by snippet, as a kernel does; fails on a rejected snippet or an exception. */
    private static CellOutput run(JShell shell, String where, String source) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = source;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        Object value = null;
        boolean shown = false;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            while (!remaining.isBlank()) {
                SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
                if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                    break;
                }
                if (!info.completeness().isComplete()) {
                    fail(where + ": incomplete code: " + remaining);
                }
                Capturing.last = null;
                for (SnippetEvent event : shell.eval(info.source())) {
                    Snippet snippet = event.snippet();
                    if (event.status() == Snippet.Status.REJECTED
                            || event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED
                            || event.status() == Snippet.Status.RECOVERABLE_DEFINED) {
                        String diags = shell.diagnostics(snippet).map(d -> message(d, snippet.source()))
                                .collect(Collectors.joining("; "));
                        fail(where + ": " + event.status() + " " + diags + "\n" + snippet.source());
                    }
                    if (event.exception() != null) {
                        Throwable e = event.exception();
                        String type = e instanceof EvalException ee ? ee.getExceptionClassName() : e.getClass().getName();
                        AssertionError error = new AssertionError(where + " threw " + type + ": " + e.getMessage()
                                + "\n" + snippet.source());
                        error.initCause(e);
                        throw error;
                    }
                    if (event.causeSnippet() == null) {
                        shown = snippet instanceof ExpressionSnippet || snippet instanceof VarSnippet v
                                && v.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
                        value = Capturing.last;
                    }
                }
                remaining = info.remaining();
            }
        } finally {
            System.out.flush();
            System.setOut(saved);
        }
        String stdout = printed.toString(StandardCharsets.UTF_8);
        if (!shown || value == null || value instanceof java.io.PrintStream) { // printf's result is not shown
            return new CellOutput(stdout, "", null);
        }
        return value instanceof RenderedImage image ? new CellOutput(stdout, "", image)
                : new CellOutput(stdout, String.valueOf(value), null);
    }

    /** JShell's in-process engine, keeping each snippet's value as an object (as a kernel does to display it). */
    static final class Capturing implements ExecutionControlProvider {
        static volatile Object last;

        @Override
        public String name() {
            return "capturing-local";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            return new LocalExecutionControl() {
                @Override
                protected String invoke(Method doit) throws Exception {
                    Object value = doit.invoke(null);
                    last = value;
                    return value == null ? "null" : value.getClass().getName();
                }
            };
        }
    }

    /** The stored outputs of one kind as text: streams joined, or an execute_result's text/plain. */
    private static String storedText(JsonArray outputs, String type) {
        StringBuilder sb = new StringBuilder();
        for (JsonElement e : outputs) {
            JsonObject o = e.getAsJsonObject();
            if (!o.get("output_type").getAsString().equals(type)) {
                continue;
            }
            if (type.equals("stream")) {
                sb.append(source(o.get("text")));
            } else if (o.getAsJsonObject("data").has("text/plain") && !o.getAsJsonObject("data").has("image/png")) {
                sb.append(source(o.getAsJsonObject("data").get("text/plain")));
            }
        }
        return sb.toString();
    }

    private static BufferedImage storedImage(JsonArray outputs) throws IOException {
        for (JsonElement e : outputs) {
            JsonObject data = e.getAsJsonObject().getAsJsonObject("data");
            if (data != null && data.has("image/png")) {
                byte[] png = Base64.getMimeDecoder().decode(source(data.get("image/png")));
                BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
                assertNotNull(image, "image/png output is a PNG");
                return image;
            }
        }
        return null;
    }

    /** Stores the outputs in the notebook, as Jupyter would after "run all". */
    private static void write(Path notebook, JsonObject nb, List<JsonObject> code, List<CellOutput> outputs)
            throws IOException {
        for (int i = 0; i < code.size(); i++) {
            JsonObject cell = code.get(i);
            CellOutput o = outputs.get(i);
            JsonArray list = new JsonArray();
            if (!o.stdout().isEmpty()) {
                JsonObject stream = new JsonObject();
                stream.addProperty("name", "stdout");
                stream.addProperty("output_type", "stream");
                stream.add("text", lines(o.stdout()));
                list.add(stream);
            }
            if (o.image() != null || !o.text().isEmpty()) {
                JsonObject result = new JsonObject();
                JsonObject data = new JsonObject();
                if (o.image() != null) {
                    ByteArrayOutputStream png = new ByteArrayOutputStream();
                    ImageIO.write(o.image(), "png", png);
                    data.addProperty("image/png", Base64.getEncoder().encodeToString(png.toByteArray()));
                    data.add("text/plain", lines("<image " + o.image().getWidth() + "x" + o.image().getHeight() + ">"));
                } else {
                    data.add("text/plain", lines(o.text()));
                }
                result.add("data", data);
                result.addProperty("execution_count", i + 1);
                result.add("metadata", new JsonObject());
                result.addProperty("output_type", "execute_result");
                list.add(result);
            }
            cell.addProperty("execution_count", i + 1);
            cell.add("outputs", list);
        }
        Gson gson = new GsonBuilder().setFormattingStyle(FormattingStyle.PRETTY.withIndent(" ")).disableHtmlEscaping()
                .create();
        Files.writeString(notebook, gson.toJson(nb) + "\n", StandardCharsets.UTF_8);
    }

    private static JsonArray lines(String text) {
        JsonArray a = new JsonArray();
        Matcher m = Pattern.compile("[^\\n]*\\n|[^\\n]+$").matcher(text);
        while (m.find()) {
            a.add(m.group());
        }
        return a;
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
