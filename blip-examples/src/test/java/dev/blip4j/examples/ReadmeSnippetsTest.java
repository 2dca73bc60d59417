package dev.blip4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README quotes code, never writes it: every {@code ```java} block (and the Maven
 * {@code <dependency>} block) is preceded by {@code <!-- snippet: FILE#TAG -->} and is exactly the
 * text between {@code tag::TAG[]} and {@code end::TAG[]} in FILE (several such regions joined by
 * a blank line, each dedented), a file that the build compiles and {@link ReadmeExamplesTest} runs.
 */
class ReadmeSnippetsTest {

    static final Path ROOT = Path.of("..");
    static final Pattern BLOCK = Pattern.compile("(?:<!-- snippet: ([^#\\s]+)#([\\w-]+) -->\\n)?```(\\w*)\\n(.*?)```",
            Pattern.DOTALL);

    record Block(String file, String tag, String language, String text) {}

    static List<Block> blocks() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(readme);
        while (m.find()) {
            out.add(new Block(m.group(1), m.group(2), m.group(3), m.group(4)));
        }
        return out;
    }

    /** The regions of {@code file} tagged {@code tag}, dedented, joined by a blank line. */
    static String tagged(Path file, String tag) throws IOException {
        List<String> regions = new ArrayList<>();
        List<String> current = null;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.contains("tag::" + tag + "[]")) {
                current = new ArrayList<>();
            } else if (line.contains("end::" + tag + "[]")) {
                regions.add(dedent(current));
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        assertFalse(regions.isEmpty(), file + " has no tag::" + tag + "[]");
        return String.join("\n", regions);
    }

    static String dedent(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
                .min().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return sb.toString();
    }

    @Test
    void everyJavaBlockQuotesASourceFileExactly() throws IOException {
        int quoted = 0;
        for (Block b : blocks()) {
            if (b.language().equals("java")) {
                assertTrue(b.file() != null, "a ```java block without <!-- snippet: FILE#TAG -->:\n" + b.text());
            }
            if (b.file() != null) {
                Path file = ROOT.resolve(b.file());
                assertTrue(Files.isRegularFile(file), "README quotes a missing file " + b.file());
                assertEquals(tagged(file, b.tag()), b.text(), "README block " + b.file() + "#" + b.tag()
                        + " is out of sync: copy the tagged region into the README");
                quoted++;
            }
        }
        assertTrue(quoted >= 7, quoted + " quoted blocks");
    }
}
