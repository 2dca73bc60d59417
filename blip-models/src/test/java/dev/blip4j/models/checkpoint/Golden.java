package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Locates the committed golden data (surefire sets {@code blip.testResources} to the repo copy). */
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

    static Path pth(String kind) {
        return root().resolve(kind).resolve("original").resolve("model.pth");
    }

    static Path hf(String kind) {
        return root().resolve(kind).resolve("hf").resolve("model.safetensors");
    }
}
