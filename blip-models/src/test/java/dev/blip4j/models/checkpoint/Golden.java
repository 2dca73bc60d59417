package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The golden checkpoint files and the torch fixtures, by kind. */
final class Golden {

    static final List<String> KINDS = dev.blip4j.models.testing.Golden.KINDS;

    private Golden() {}

    static Path root() {
        return dev.blip4j.models.testing.Golden.root();
    }

    /** Small files written by torch 2.11 itself ({@code src-test-resources/checkpoint}). */
    static Path torchFixture(String name) {
        Path file = root().getParent().resolve("checkpoint").resolve(name);
        assertTrue(Files.isRegularFile(file), "no torch fixture at " + file);
        return file;
    }

    static Path pth(String kind) {
        return root().resolve(kind).resolve("original").resolve("model.pth");
    }

    static Path hf(String kind) {
        return root().resolve(kind).resolve("hf").resolve("model.safetensors");
    }
}
