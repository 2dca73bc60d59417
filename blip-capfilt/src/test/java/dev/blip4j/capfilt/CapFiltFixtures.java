package dev.blip4j.capfilt;

import com.google.gson.JsonObject;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small CapFilt inputs made of the golden images and captions, and the golden models to run them. */
final class CapFiltFixtures {

    private CapFiltFixtures() {}

    static BlipModel captioner(Layout layout) {
        return GoldenModels.load(Golden.of("caption"), layout);
    }

    /** The ENC filter (retrieval golden) or the CLS one (itm golden). */
    static BlipModel filter(String kind, Layout layout) {
        return GoldenModels.load(Golden.of(kind), layout);
    }

    static List<String> captions() {
        return GoldenModels.captions(Golden.of("retrieval"));
    }

    /**
     * {@code pairs.jsonl} beside copies of the golden images in {@code images/}: every image with
     * every golden caption (image i, caption j is line {@code 4 i + j + 1}), relative image paths,
     * an {@code id} on the first line, and two extra fields.
     */
    static Path goldenPairs(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 3; i++) {
            Files.copy(Golden.image(i), dir.resolve("images/image" + i + ".png"));
        }
        List<String> lines = new ArrayList<>();
        List<String> captions = captions();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                JsonObject o = new JsonObject();
                if (i == 0 && j == 0) {
                    o.addProperty("id", "first");
                }
                o.addProperty("image", "images/image" + i + ".png");
                o.addProperty("text", captions.get(j));
                o.addProperty("pair", i * 10 + j);
                JsonObject meta = new JsonObject();
                meta.addProperty("caption_index", j);
                o.add("meta", meta);
                lines.add(o.toString());
            }
        }
        Path file = dir.resolve("pairs.jsonl");
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }
}
