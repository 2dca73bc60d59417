package dev.blip4j.cli;

import picocli.CommandLine.Option;

/** Output options shared by every command. */
final class CommonOptions {

    /** The rows of a command's results, printed as these options ask (see {@link Rows}). */
    Rows rows(java.io.PrintWriter out, String... header) {
        return new Rows(out, format(), header);
    }

    /** The output format these options ask for; both {@code --json} and {@code --jsonl} is bad usage. */
    Rows.Format format() {
        if (json && jsonl) {
            throw new UsageException("--json and --jsonl are two formats: give one");
        }
        return json ? Rows.Format.JSON : jsonl ? Rows.Format.JSONL : Rows.Format.PLAIN;
    }

    @Option(names = "--json", description = "print JSON on stdout")
    boolean json;

    @Option(names = "--jsonl", description = "print JSON Lines on stdout: one object per line, each as soon as it is ready")
    boolean jsonl;

    @Option(names = "--verbose", description = "show stack traces with errors")
    boolean verbose;
}
