package dev.blip4j.cli;

import dev.blip4j.core.ControlChars;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import java.nio.file.Path;

/**
 * How the CLI reports a failure: one line, {@code error: <what> (<file>)}. The file is appended
 * only when the message does not already name it (blip4j's messages usually start with it), and
 * control characters are escaped ({@link ControlChars}) so that one error is always one line and
 * cannot drive the terminal. Stack traces are for {@code --verbose} only.
 */
final class ErrorLine {

    private ErrorLine() {}

    /** The line for {@code e}, about {@code file} (null when no file is involved). */
    static String of(Throwable e, Path file) {
        String what = what(e);
        String name = file == null ? null : ControlChars.escape(file.toString());
        if (name != null && !what.contains(name)) {
            what += " (" + name + ")";
        }
        return "error: " + what;
    }

    /** The message alone, on one line and safe to print; the exception's kind when it has none. */
    static String what(Throwable e) {
        String m = e.getMessage();
        boolean ours = e instanceof dev.blip4j.core.BlipException || e instanceof picocli.CommandLine.ParameterException;
        if (m == null || m.isBlank()) {
            return describe(e);
        }
        // A BlipException's message is escaped already; others (picocli's) may break lines on purpose.
        String flat = ControlChars.escape(m.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' '));
        return ours ? flat : describe(e) + ": " + flat;
    }

    /** Exit code for an exception that ended a command. */
    static int exitCode(Throwable e) {
        if (e instanceof ModelException) {
            return BlipCli.EXIT_MODEL;
        }
        if (e instanceof InputException) {
            return BlipCli.EXIT_INPUT;
        }
        if (e instanceof picocli.CommandLine.ParameterException) {
            return BlipCli.EXIT_USAGE;
        }
        return BlipCli.EXIT_INTERNAL;
    }

    private static String describe(Throwable e) {
        if (e instanceof OutOfMemoryError) {
            return "out of memory (raise the heap with -Xmx)";
        }
        if (e instanceof dev.blip4j.core.BlipException) {
            return e.getClass().getSimpleName();
        }
        return "internal error " + e.getClass().getName();
    }
}
