package dev.blip4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Runs the {@code blip} command line in-process and keeps what it printed. */
record CliRun(int exit, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = BlipCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(exit, out.toString(), err.toString());
    }

    static CliRun of(List<String> args) {
        return of(args.toArray(String[]::new));
    }

    /** Non-empty stderr lines. */
    List<String> errLines() {
        return Arrays.stream(err.split("\\R")).filter(l -> !l.isBlank()).toList();
    }

    /** Whether stderr holds a Java stack trace (or anything the JVM prints for an uncaught exception). */
    boolean hasStackTrace() {
        return err.contains("\tat ") || err.contains("Exception in thread") || err.contains("Caused by:");
    }

    /** The shared test data ({@code src-test-resources}), as surefire passes it. */
    static Path testResources() {
        String dir = System.getProperty("blip.testResources");
        if (dir == null) {
            throw new IllegalStateException("system property blip.testResources is not set (run through Maven)");
        }
        return Path.of(dir);
    }

    static Path golden(String rest) {
        return testResources().resolve("golden").resolve(rest);
    }

    /** Asserts the exit code and one {@code error: } line on stderr that mentions {@code mention}, no stack trace. */
    static void assertOneLineError(CliRun r, int code, String mention) {
        org.junit.jupiter.api.Assertions.assertEquals(code, r.exit(), r.toString());
        String err = r.err().strip();
        org.junit.jupiter.api.Assertions.assertTrue(err.startsWith("error: ") && !err.contains("\n")
                && err.contains(mention), "one line naming '" + mention + "': " + err);
        org.junit.jupiter.api.Assertions.assertFalse(r.hasStackTrace(), r.toString());
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
