package dev.blip4j.cli;

import dev.blip4j.core.ModelException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * The {@code blip} command. Exit codes: 0 success, 2 bad usage, 3 a model that cannot be used,
 * 4 bad inputs (also when some items of a many-input command failed), 1 anything else. Errors are
 * one line on stderr, {@code error: <what> (<file>)}; {@code --verbose} adds the stack trace.
 */
@Command(name = "blip", mixinStandardHelpOptions = true, version = "blip4j 0.1.0",
        description = "BLIP vision-language models on the JVM: captions, image-text matching, search, VQA, NLVR2.",
        subcommands = {InspectCommand.class, CaptionCommand.class, ItmCommand.class, NlvrCommand.class, FeaturesCommand.class,
                IndexCommand.class, SearchCommand.class, VqaCommand.class, CapFiltCommand.class, ConvertCommand.class,
                BenchCommand.class, ServeCommand.class, SoakCommand.class,
                CommandLine.HelpCommand.class})
public final class BlipCli {

    public static final int EXIT_INTERNAL = 1;
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
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        try {
            CommandLine cli = new CommandLine(root);
            standardHelpEverywhere(cli);
            cli.setCaseInsensitiveEnumValuesAllowed(true);
            cli.setOut(out);
            cli.setErr(err);
            cli.setParameterExceptionHandler((e, a) -> usageError(e, err, verbose));
            cli.setExecutionExceptionHandler((e, line, parse) -> {
                if (e instanceof CommandLine.ParameterException p) {
                    return usageError(p, err, verbose);
                }
                if (e instanceof UsageException u) {
                    return usageError(new CommandLine.ParameterException(line, u.getMessage(), u), err, verbose);
                }
                return report(e, modelPath(parse, e), err, verbose);
            });
            return cli.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) { // picocli lets Errors through
            return report(e, null, err, verbose);
        }
    }

    /**
     * Every command answers {@code --help}/{@code -h} (and {@code --version}) with exit 0, also the
     * commands that have required options and those added later.
     */
    static void standardHelpEverywhere(CommandLine cli) {
        if (cli.getCommandSpec().findOption("--help") == null) {
            cli.getCommandSpec().mixinStandardHelpOptions(true);
        }
        cli.getSubcommands().values().forEach(BlipCli::standardHelpEverywhere);
    }

    /** One line; with {@code --verbose} the stack trace after it. */
    static int report(Throwable e, Path file, PrintWriter err, boolean verbose) {
        err.println(ErrorLine.of(e, file));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return ErrorLine.exitCode(e);
    }

    private static int usageError(CommandLine.ParameterException e, PrintWriter err, boolean verbose) {
        String command = e.getCommandLine().getCommandSpec().qualifiedName();
        String suggestion = "";
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            suggestion = "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
        }
        err.println("error: " + ErrorLine.what(e) + suggestion + " (see '" + command + " --help')");
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return EXIT_USAGE;
    }

    /** The {@code --model} of the command that ran, for a model error whose message does not name it. */
    private static Path modelPath(ParseResult parse, Exception e) {
        if (!(e instanceof ModelException)) {
            return null;
        }
        ParseResult p = parse;
        while (p.hasSubcommand()) {
            p = p.subcommand();
        }
        for (CommandSpec mixin : p.commandSpec().mixins().values()) {
            if (mixin.userObject() instanceof ModelOptions m && m.model != null) {
                return Path.of(m.model);
            }
        }
        return null;
    }
}
