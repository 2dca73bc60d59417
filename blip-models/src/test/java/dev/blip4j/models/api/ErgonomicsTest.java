package dev.blip4j.models.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.MatchMatrix;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What a newcomer types first: the task APIs take image files as readily as decoded images, and
 * results print readably (no {@code [J@1b2c3d}).
 */
class ErgonomicsTest {

    static final List<Path> FILES = List.of(Golden.image(0), Golden.image(1), Golden.image(2));
    static final Pattern ARRAY_IDENTITY = Pattern.compile("\\[[JFIBD]@[0-9a-f]+");

    @Test
    void captionsOfFilesAreTheGoldenCaptions() {
        try (BlipModel model = BlipModel.load(Golden.of("caption").hf())) {
            Captioner captioner = new Captioner(model);
            List<List<Caption>> got = captioner.caption(FILES);
            var golden = Golden.of("caption").results().getAsJsonObject("beam").getAsJsonArray("captions");
            for (int i = 0; i < FILES.size(); i++) {
                assertEquals(golden.get(i).getAsString(), got.get(i).get(0).text());
            }
            Caption c = got.get(0).get(0);
            String printed = c.toString();
            assertFalse(ARRAY_IDENTITY.matcher(printed).find(), printed);
            assertTrue(printed.startsWith("Caption[text=" + c.text() + ", tokenIds=[" + c.tokenIds()[0] + ", "
                    + c.tokenIds()[1] + ", "), printed);
            assertTrue(printed.endsWith("], score=" + c.score() + "]"), printed);
        }
    }

    @Test
    void matchingAndFeaturesOfFilesEqualThoseOfDecodedImages() {
        try (BlipModel model = BlipModel.load(Golden.of("itm").hf())) {
            List<String> texts = List.of("a dog on a beach", "two cats");
            ImageTextMatcher matcher = new ImageTextMatcher(model);
            MatchMatrix fromFiles = matcher.match(FILES, texts);
            MatchMatrix fromImages = matcher.match(model.readImages(FILES), texts);
            for (int i = 0; i < FILES.size(); i++) {
                for (int t = 0; t < texts.size(); t++) {
                    assertEquals(fromImages.matches(i).get(t).itm(), fromFiles.matches(i).get(t).itm());
                    assertEquals(fromImages.matches(i).get(t).itc(), fromFiles.matches(i).get(t).itc());
                }
            }
            FeatureExtractor fx = new FeatureExtractor(model);
            List<ImageFeatures> features = fx.images(FILES);
            assertArrayEquals(fx.images(model.readImages(FILES)).get(1).embedding(), features.get(1).embedding());
            String printed = features.get(0).toString();
            assertFalse(ARRAY_IDENTITY.matcher(printed).find(), printed);
            assertTrue(printed.startsWith("ImageFeatures[states=float[" + features.get(0).states().length + "] ["),
                    printed);
            TextFeatures text = fx.texts(texts).get(0);
            assertFalse(ARRAY_IDENTITY.matcher(text.toString()).find(), text.toString());
            var grounded = fx.multimodal(FILES, texts);
            assertEquals(FILES.size(), grounded.size());
            assertArrayEquals(fx.multimodal(model.readImages(FILES), texts).get(2).get(1).states(),
                    grounded.get(2).get(1).states());
        }
    }

    @Test
    void answersPrintTheirIds() {
        try (BlipModel model = BlipModel.load(Golden.of("vqa").hf())) {
            Answer a = new VisualQuestionAnswerer(model).answer(FILES.get(0), "what is it?");
            assertFalse(ARRAY_IDENTITY.matcher(a.toString()).find(), a.toString());
            assertTrue(a.toString().contains("tokenIds=[" + a.tokenIds()[0]), a.toString());
        }
    }
}
