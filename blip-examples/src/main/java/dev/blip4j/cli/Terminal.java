package dev.blip4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether stderr is a terminal, which decides how progress is shown. */
final class Terminal {

    private Terminal() {}

    /**
     * On Linux, whether file descriptor 2 is a terminal device ({@code /dev/pts/*}, {@code /dev/tty*});
     * elsewhere, whether the JVM has a console (stdin and stdout are terminals), Java's closest answer.
     */
    static boolean stderrIsTerminal() {
        Path fd = Path.of("/proc/self/fd/2");
        if (Files.exists(fd, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (IOException | UnsupportedOperationException e) {
                return System.console() != null;
            }
        }
        return System.console() != null;
    }
}
