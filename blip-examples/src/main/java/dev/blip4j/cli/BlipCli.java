package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code blip} command. Exit codes: 0 success, 2 bad usage, 3 a model that cannot be used,
 * 4 bad inputs (also when some items of a many-input command failed), 1 anything else. Errors are
 * one line on stderr, {@code error: <what>}; {@code --verbose} adds the stack trace.
 */
@Command(name = "blip", mixinStandardHelpOptions = true, version = "blip4j 0.1.0",
        description = "BLIP vision-language models on the JVM: captions, image-text matching, search, VQA.",
        subcommands = {InspectCommand.class, CaptionCommand.class, ItmCommand.class, FeaturesCommand.class,
                IndexCommand.class, SearchCommand.class, VqaCommand.class, CapFiltCommand.class, ConvertCommand.class,
                BenchCommand.class})
public final class BlipCli {

    public static final int EXIT_USAGE = 2;
    public static final int EXIT_MODEL = 3;
    public static final int EXIT_INPUT = 4;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(new BlipCli(), args, out, err);
    }

    /**
     * Runs a command line of another root command (e.g. the Spark job's) with this program's error
     * handling: the same one-line errors and exit codes.
     */
    public static int run(Object root, String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(root);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, line, parse) -> {
            boolean verbose = parse.originalArgs().contains("--verbose");
            line.getErr().println("error: " + message(e));
            if (verbose) {
                e.printStackTrace(line.getErr());
            }
            line.getErr().flush();
            return e instanceof ModelException ? EXIT_MODEL
                    : e instanceof InputException ? EXIT_INPUT
                    : e instanceof CommandLine.ParameterException ? EXIT_USAGE
                    : 1;
        });
        return cli.execute(args);
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }
}
