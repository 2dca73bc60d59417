package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Option values are checked where the library takes them (a record's constructor, a task's); what
 * it refuses there is bad usage, exit 2, reported with the command's help like picocli's own errors.
 */
final class OptionValues {

    private OptionValues() {}

    /** {@code build}'s result; an {@link InputException} it throws becomes a usage error of {@code cli}. */
    static <T> T check(CommandLine cli, Supplier<T> build) {
        try {
            return build.get();
        } catch (InputException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage(), e);
        }
    }
}
