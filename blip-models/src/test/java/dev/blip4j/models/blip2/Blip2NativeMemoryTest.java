package dev.blip4j.models.blip2;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import dev.blip4j.models.testing.NativeArrays;
import dev.blip4j.models.testing.NativeArrays.Snapshot;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * BLIP-2's calls leave no native array behind: the learned queries are weights, and what is
 * computed from them must land in the call's manager, not in the weights' long-lived one.
 */
class Blip2NativeMemoryTest {

    @Test
    void everyBlip2TaskLeavesNothingBehind() {
        Golden g = Blip2NetworkGoldenTest.G;
        try (BlipModel model = BlipModel.builder(g.original()).tokenizer(Golden.root().resolve("tokenizer/vocab.txt"))
                .load()) {
            List<RgbImage> images = List.of(model.readImage(Golden.image(0)), model.readImage(Golden.image(1)));
            List<String> texts = GoldenModels.captions(g);
            ImageTextMatcher matcher = new ImageTextMatcher(model);
            FeatureExtractor features = new FeatureExtractor(model);
            Map<String, Runnable> work = Map.of(
                    "match", () -> matcher.match(images, texts),
                    "matchPairs", () -> matcher.matchPairs(images, texts.subList(0, 2)),
                    "image features", () -> features.images(images),
                    "text features", () -> features.texts(texts),
                    "multimodal features", () -> features.multimodal(images, texts));
            work.forEach((name, w) -> {
                w.run();
                Snapshot before = NativeArrays.snapshot();
                w.run();
                Snapshot leaked = before.leakedBy(NativeArrays.snapshot());
                assertTrue(leaked.isEmpty(), name + " left " + leaked.arrays().size() + " arrays: " + leaked);
            });
        }
    }
}
