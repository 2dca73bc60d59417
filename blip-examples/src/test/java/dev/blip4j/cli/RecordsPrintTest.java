package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every public record of the library that holds an array prints it readably: it declares its own
 * {@code toString} (built with {@code ArrayText}), since a record's generated one prints arrays
 * as {@code [J@1b2c3d}. Scans the blip4j classes on the class path, so new records are covered.
 */
class RecordsPrintTest {

    @Test
    void publicRecordsWithArraysDeclareToString() throws Exception {
        List<String> classes = blip4jClasses();
        assertTrue(classes.size() > 100, "found " + classes.size() + " blip4j classes");
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (String name : classes) {
            Class<?> c = Class.forName(name, false, getClass().getClassLoader());
            if (!c.isRecord() || !Modifier.isPublic(c.getModifiers())) {
                continue;
            }
            boolean arrays = Stream.of(c.getRecordComponents()).map(RecordComponent::getType).anyMatch(Class::isArray);
            if (!arrays) {
                continue;
            }
            checked++;
            try {
                c.getDeclaredMethod("toString");
            } catch (NoSuchMethodException e) {
                missing.add(name);
            }
        }
        assertTrue(checked >= 10, "checked " + checked + " records");
        assertEquals(List.of(), missing, "records that print arrays as [J@...");
    }

    /** Class names under dev.blip4j from the library's class folders or jars (not test classes). */
    static List<String> blip4jClasses() throws IOException {
        List<String> names = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String file = p.getFileName() == null ? "" : p.getFileName().toString();
            if (Files.isDirectory(p) && file.equals("classes") && p.toString().contains("blip-")) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(f -> f.toString().endsWith(".class")).forEach(f -> names.add(
                            p.relativize(f).toString().replace(File.separatorChar, '.').replaceAll("\\.class$", "")));
                }
            } else if (file.startsWith("blip-") && file.endsWith(".jar") && !file.contains("-tests")) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    jar.stream().map(e -> e.getName()).filter(n -> n.startsWith("dev/blip4j/") && n.endsWith(".class"))
                            .forEach(n -> names.add(n.replace('/', '.').replaceAll("\\.class$", "")));
                }
            }
        }
        return names.stream().filter(n -> n.startsWith("dev.blip4j.")).distinct().toList();
    }
}
