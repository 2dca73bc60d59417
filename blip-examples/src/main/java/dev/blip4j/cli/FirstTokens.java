package dev.blip4j.cli;

import dev.blip4j.models.matching.FirstToken;
import java.util.Locale;
import picocli.CommandLine;

/** The {@code --first-token enc|cls} option's values. */
final class FirstTokens {

    private FirstTokens() {}

    static FirstToken parse(String value, CommandLine cli) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "enc" -> FirstToken.ENC;
            case "cls" -> FirstToken.CLS;
            default -> throw new CommandLine.ParameterException(cli, "--first-token must be enc or cls, got " + value);
        };
    }
}
