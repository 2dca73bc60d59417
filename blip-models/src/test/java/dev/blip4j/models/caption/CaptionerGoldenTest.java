package dev.blip4j.models.caption;

import dev.blip4j.models.BlipModel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Captioning end to end from the golden PNG files: decoding, PIL-identical resizing, the
 * tokenizer's prompt, search and decoding back to text give exactly the official captions.
 */
class CaptionerGoldenTest {

    static BlipModel load(Golden g, Layout layout) {
        return layout == Layout.ORIGINAL
                ? BlipModel.builder(g.original()).tokenizer(Golden.root().resolve("tokenizer/vocab.txt")).load()
                : BlipModel.load(g.hf());
    }

    @ParameterizedTest(name = "{0}/{1} {2}")
    @MethodSource("dev.blip4j.models.GenerationGoldenTest#captionCases")
    void captionsFromPngFiles(String kind, String name, Layout layout) {
        Golden g = Golden.of(kind);
        JsonObject result = g.results().getAsJsonObject(name);
        GenerationConfig config = dev.blip4j.models.GenerationGoldenTest.configFromCall(result.get("call").getAsString(), 20);
        try (BlipModel model = load(g, layout)) {
            List<RgbImage> images = List.of(model.readImage(Golden.image(0)), model.readImage(Golden.image(1)),
                    model.readImage(Golden.image(2)));
            Captioner captioner = new Captioner(model, CaptionOptions.defaults().withGeneration(config));
            assertArrayEquals(Golden.longs(g.results().getAsJsonArray("decoder_prompt_ids")), captioner.promptIds());
            List<List<Caption>> captions = captioner.caption(images);
            for (int i = 0; i < 3; i++) {
                Caption c = captions.get(i).get(0);
                long[] want = Golden.longs(result.getAsJsonArray("sequences").get(i).getAsJsonArray());
                assertArrayEquals(stripPadding(want), c.tokenIds(), name + " image " + i);
                assertEquals(result.getAsJsonArray("captions").get(i).getAsString(), c.text(), name + " image " + i);
            }
        }
    }

    @ParameterizedTest(name = "batch size {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void batchingDoesNotChangeCaptions(int batchSize) {
        Golden g = Golden.of("caption");
        JsonObject result = g.results().getAsJsonObject("beam");
        try (BlipModel model = load(g, Layout.HUGGINGFACE)) {
            List<RgbImage> images = List.of(model.readImage(Golden.image(0)), model.readImage(Golden.image(1)),
                    model.readImage(Golden.image(2)));
            List<List<Caption>> captions = new Captioner(model, CaptionOptions.defaults().withBatchSize(batchSize))
                    .caption(images);
            for (int i = 0; i < 3; i++) {
                assertEquals(result.getAsJsonArray("captions").get(i).getAsString(), captions.get(i).get(0).text());
            }
        }
    }

    static long[] stripPadding(long[] ids) {
        int n = ids.length;
        while (n > 0 && ids[n - 1] == 0) {
            n--;
        }
        return Arrays.copyOf(ids, n);
    }
}
