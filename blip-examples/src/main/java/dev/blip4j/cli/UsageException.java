package dev.blip4j.cli;

/**
 * An option value the command line cannot use, found after parsing (when the value is put to
 * use). Reported as bad usage, exit 2, like picocli's own parameter errors, naming the command's help.
 */
final class UsageException extends RuntimeException {

    UsageException(String message) {
        super(message);
    }
}
