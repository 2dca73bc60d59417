package dev.blip4j.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchMatrix;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Image-text matching the DJL way: Criteria-loaded {@code (ImageText, Match)} predictors give what
 * {@link ImageTextMatcher} gives, and so the golden ITM probabilities and ITC similarities of
 * {@code itm/} ({@code [CLS]} first) and {@code retrieval/} ({@code first_token=enc}); the DJL
 * Serving form answers JSON requests alike.
 */
class DjlMatchingTest {

    static MatchMatrix expected(Golden g, MatchOptions options) {
        try (BlipModel model = BlipModel.load(g.hf())) {
            List<RgbImage> images = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                images.add(model.readImage(Golden.image(i)));
            }
            return new ImageTextMatcher(model, options).match(images, GoldenModels.captions(g));
        }
    }

    /** Every (image, caption) pair, image-major, the same Image instance for each image's pairs. */
    static List<ImageText> allPairs(Golden g) throws Exception {
        List<Image> images = DjlCaptionTest.images();
        List<ImageText> pairs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (String caption : GoldenModels.captions(g)) {
                pairs.add(new ImageText(images.get(i), caption));
            }
        }
        return pairs;
    }

    /** Predicts every pair one by one and as one batch; checks both against the matcher and the golden. */
    static void assertPredicts(Golden g, String url, MatchMatrix want) throws Exception {
        Criteria<ImageText, Match> criteria = Criteria.builder().setTypes(ImageText.class, Match.class)
                .optModelUrls(url).build();
        List<ImageText> pairs = allPairs(g);
        try (ZooModel<ImageText, Match> model = criteria.loadModel();
                Predictor<ImageText, Match> predictor = model.newPredictor()) {
            List<Match> batch = predictor.batchPredict(pairs);
            assertEquals(12, batch.size());
            float[] itm = new float[12];
            float[] itc = new float[12];
            for (int p = 0; p < 12; p++) {
                int i = p / 4;
                int j = p % 4;
                Match one = predictor.predict(pairs.get(p));
                for (Match m : List.of(batch.get(p), one)) {
                    assertEquals(pairs.get(p).text(), m.text());
                    assertEquals(want.itm().get(i, j), m.itm(), 1e-6, "itm " + i + "," + j);
                    assertEquals(want.itc().get(i, j), m.itc(), 1e-6, "itc " + i + "," + j);
                }
                itm[p] = (float) batch.get(p).itm();
                itc[p] = (float) batch.get(p).itc();
            }
            g.assertClose("itm_probs", itm, 3, 4);
            g.assertClose("itc_sim", itc, 3, 4);
        }
    }

    @Test
    void itmPairsAsTheMatcherAndTheGolden() throws Exception {
        Golden g = Golden.of("itm");
        assertPredicts(g, BlipZoo.url(g.hf()), expected(g, MatchOptions.defaults()));
    }

    @Test
    void firstTokenEncScoresAsTheRetrievalEvaluation() throws Exception {
        Golden g = Golden.of("retrieval");
        assertPredicts(g, BlipZoo.url(g.hf()) + "?first_token=enc",
                expected(g, MatchOptions.defaults().withFirstToken(FirstToken.ENC)));
    }

    @Test
    void badArgumentsAndCheckpointsAreRefusedByName() {
        Criteria<ImageText, Match> badToken = Criteria.builder().setTypes(ImageText.class, Match.class)
                .optModelUrls(BlipZoo.url(Golden.of("itm").hf()) + "?first_token=sep").build();
        Exception e = assertThrows(Exception.class, badToken::loadModel);
        assertTrue(rootMessage(e).contains("first_token must be cls or enc, got 'sep'"), rootMessage(e));
        Criteria<ImageText, Match> caption = Criteria.builder().setTypes(ImageText.class, Match.class)
                .optModelUrls(BlipZoo.url(Golden.of("caption").hf())).build();
        e = assertThrows(Exception.class, caption::loadModel);
        assertTrue(rootMessage(e).contains("image-text matching needs"), rootMessage(e));
        assertThrows(InputException.class, () -> new ImageText(null, "a cat"));
        Image image = ImageFactory.getInstance().fromImage(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB));
        assertThrows(InputException.class, () -> new ImageText(image, null));
    }

    @Test
    void servingAnswersJsonAndFormsLikeBlipItm() throws Exception {
        Golden g = Golden.of("itm");
        MatchMatrix want = expected(g, MatchOptions.defaults());
        List<String> captions = GoldenModels.captions(g);
        Criteria<Input, Output> criteria = Criteria.builder().setTypes(Input.class, Output.class)
                .optModelUrls(BlipZoo.url(g.hf())).build(); // an ITM checkpoint serves itm by default
        List<Input> inputs = new ArrayList<>();
        // image 0, every caption as a JSON array
        JsonObject json = new JsonObject();
        json.addProperty("image", Base64.getEncoder().encodeToString(Files.readAllBytes(Golden.image(0))));
        JsonArray texts = new JsonArray();
        captions.forEach(texts::add);
        json.add("text", texts);
        Input first = new Input();
        first.add(json.toString());
        inputs.add(first);
        // image 2 as a form: one text
        Input form = new Input();
        form.add("image", Files.readAllBytes(Golden.image(2)));
        form.add("text", captions.get(3));
        inputs.add(form);
        // no text
        Input bad = new Input();
        bad.add(Files.readAllBytes(Golden.image(1)));
        inputs.add(bad);
        try (ZooModel<Input, Output> model = criteria.loadModel();
                Predictor<Input, Output> predictor = model.newPredictor()) {
            List<Output> out = predictor.batchPredict(inputs);
            assertEquals(3, out.size());
            JsonArray rows = JsonParser.parseString(out.get(0).getData().getAsString()).getAsJsonArray();
            assertEquals(4, rows.size());
            for (int j = 0; j < 4; j++) {
                JsonObject row = rows.get(j).getAsJsonObject();
                assertEquals(captions.get(j), row.get("text").getAsString());
                assertEquals(want.itm().get(0, j), row.get("itm").getAsDouble(), 1e-6);
                assertEquals(want.itc().get(0, j), row.get("itc").getAsDouble(), 1e-6);
            }
            JsonObject one = JsonParser.parseString(out.get(1).getData().getAsString()).getAsJsonObject();
            assertEquals(200, out.get(1).getCode());
            assertEquals("application/json", out.get(1).getProperty("Content-Type", null));
            assertEquals(captions.get(3), one.get("text").getAsString());
            assertEquals(want.itm().get(2, 3), one.get("itm").getAsDouble(), 1e-6);
            assertEquals(want.itc().get(2, 3), one.get("itc").getAsDouble(), 1e-6);
            assertEquals(400, out.get(2).getCode());
            String error = JsonParser.parseString(out.get(2).getData().getAsString()).getAsJsonObject()
                    .get("error").getAsString();
            assertTrue(error.contains("no \"text\""), error);
        }
    }

    static String rootMessage(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" | ");
        }
        return all.toString();
    }
}
