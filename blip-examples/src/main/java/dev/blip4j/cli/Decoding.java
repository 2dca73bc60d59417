package dev.blip4j.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * The decoding options' grammar, shared by the commands that generate text: options that would
 * change nothing, or that contradict each other, are bad usage (exit 2) with the reason, rather
 * than silently ignored.
 */
final class Decoding {

    private Decoding() {}

    /** Sampling options without {@code --sample}. */
    static void refuseInert(CommandSpec spec, boolean sample, String... samplingOptions) {
        if (sample) {
            return;
        }
        for (String option : samplingOptions) {
            if (given(spec, option)) {
                throw new UsageException(option + " only applies to sampling: add --sample");
            }
        }
    }

    /** {@code --greedy} or {@code --sample} together, or either with {@code --beams}. */
    static void refuseContradictions(CommandSpec spec, boolean greedy, boolean sample) {
        if (greedy && sample) {
            throw new UsageException("--greedy and --sample are two searches: give one");
        }
        if ((greedy || sample) && given(spec, "--beams")) {
            throw new UsageException("--beams is beam search's width: leave it out with " + (greedy ? "--greedy" : "--sample"));
        }
    }

    /** Whether the command line named {@code option} (not just its default). */
    static boolean given(CommandSpec spec, String option) {
        ParseResult parsed = spec.commandLine().getParseResult();
        return parsed != null && parsed.hasMatchedOption(option);
    }
}
