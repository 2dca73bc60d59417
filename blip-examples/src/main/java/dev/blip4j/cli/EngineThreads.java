package dev.blip4j.cli;

import dev.blip4j.core.BlipEngine;
import picocli.CommandLine.Option;

/**
 * {@code --threads N}, the engine's intra-op threads: part of {@link LoadOptions}, and on its own on
 * a command that loads a model without the other loading options ({@code convert}).
 */
final class EngineThreads {

    @Option(names = "--threads", paramLabel = "N",
            description = "intra-op threads of the engine (default: the machine's cores; 1 on a busy machine)")
    Integer threads;

    /** Sets the engine's intra-op threads when {@code --threads} was given. */
    void apply() {
        if (threads != null) {
            if (threads < 1) {
                throw new UsageException("--threads must be at least 1, got " + threads);
            }
            BlipEngine.setThreads(threads);
        }
    }
}
