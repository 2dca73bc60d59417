package dev.blip4j.cli;

import picocli.CommandLine.Option;

/** Output options shared by every command. */
final class CommonOptions {

    @Option(names = "--json", description = "print JSON on stdout")
    boolean json;

    @Option(names = "--verbose", description = "show stack traces with errors")
    boolean verbose;
}
