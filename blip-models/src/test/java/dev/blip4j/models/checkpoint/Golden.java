package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Locates the committed golden data and torch fixtures (surefire sets {@code blip.testResources} to the repo copy). */
final class Golden {

    static final List<String> KINDS =
            List.of("caption", "caption_posinterp", "itm", "vqa", "retrieval", "feature_extractor");

    private Golden() {}

    static Path root() {
        String dir = System.getProperty("blip.testResources");
        assertTrue(dir != null && !dir.isBlank(), "system property blip.testResources is not set (run through Maven)");
        Path golden = Path.of(dir, "golden");
        assertTrue(Files.isDirectory(golden), "no golden data at " + golden);
        return golden;
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
