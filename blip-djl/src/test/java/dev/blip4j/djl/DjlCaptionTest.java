package dev.blip4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.testing.Golden;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * blip4j loaded the DJL way: Criteria, ZooModel, Predictor.predict and batchPredict caption the
 * golden images exactly as {@link Captioner} does.
 */
class DjlCaptionTest {

    static List<Caption> expected;
    static List<Caption> expectedGreedy;

    @BeforeAll
    static void captionWithCaptioner() {
        try (BlipModel model = BlipModel.load(Golden.of("caption").hf())) {
            expected = new ArrayList<>();
            expectedGreedy = new ArrayList<>();
            Captioner beam = new Captioner(model);
            Captioner greedy = new Captioner(model, CaptionOptions.defaults()
                    .withGeneration(GenerationConfig.captionDefaults().withNumBeams(1).withMaxLength(12)));
            for (int i = 0; i < 3; i++) {
                expected.add(beam.caption(Golden.image(i)).get(0));
                expectedGreedy.add(greedy.caption(Golden.image(i)).get(0));
            }
        }
        // The goldens' own beam captions, so this test cannot pass on a broken Captioner either.
        var golden = Golden.of("caption").results().getAsJsonObject("beam").getAsJsonArray("captions");
        for (int i = 0; i < 3; i++) {
            assertEquals(golden.get(i).getAsString(), expected.get(i).text());
        }
    }

    static List<Image> images() throws Exception {
        List<Image> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add(ImageFactory.getInstance().fromFile(Golden.image(i)));
        }
        return out;
    }

    @Test
    void blip4jUrlCriteriaPredictsAndBatchPredictsLikeTheCaptioner() throws Exception {
        Criteria<Image, String> criteria = Criteria.builder()
                .setTypes(Image.class, String.class)
                .optModelUrls(BlipZoo.url(Golden.of("caption").hf()))
                .build();
        List<Image> images = images();
        try (ZooModel<Image, String> model = criteria.loadModel();
                Predictor<Image, String> predictor = model.newPredictor()) {
            for (int i = 0; i < 3; i++) {
                assertEquals(expected.get(i).text(), predictor.predict(images.get(i)), "image " + i);
            }
            List<String> batch = predictor.batchPredict(images);
            for (int i = 0; i < 3; i++) {
                assertEquals(expected.get(i).text(), batch.get(i), "batch image " + i);
            }
        }
    }

    @Test
    void captionOutputsCarryIdsAndScoresAndUrlArgumentsSetTheSearch() throws Exception {
        Criteria<Image, Caption> criteria = Criteria.builder()
                .setTypes(Image.class, Caption.class)
                .optModelUrls(BlipZoo.url(Golden.of("caption").hf()) + "?beams=1&max_length=12")
                .build();
        try (ZooModel<Image, Caption> model = criteria.loadModel();
                Predictor<Image, Caption> predictor = model.newPredictor()) {
            List<Caption> got = predictor.batchPredict(images());
            for (int i = 0; i < 3; i++) {
                assertEquals(expectedGreedy.get(i).text(), got.get(i).text());
                assertArrayEquals(expectedGreedy.get(i).tokenIds(), got.get(i).tokenIds());
                assertEquals(expectedGreedy.get(i).score(), got.get(i).score(), 1e-6);
            }
        }
    }

    @Test
    void anOriginalCheckpointThroughOptModelPath() throws Exception {
        Criteria<Image, String> criteria = BlipZoo.criteria(Image.class, String.class)
                .optModelPath(Golden.of("caption").original())
                .optArgument("tokenizer", Golden.root().resolve("tokenizer/vocab.txt").toString())
                .build();
        try (ZooModel<Image, String> model = criteria.loadModel();
                Predictor<Image, String> predictor = model.newPredictor()) {
            List<String> got = predictor.batchPredict(images());
            for (int i = 0; i < 3; i++) {
                assertEquals(expected.get(i).text(), got.get(i));
            }
        }
    }

    @Test
    void aModelIdFromTheHfCacheOffline(@TempDir Path cache) throws Exception {
        String commit = "89abcdef0123456789abcdef0123456789abcdef";
        Path repo = cache.resolve("models--Salesforce--blip-tiny");
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        Files.createDirectories(snapshot);
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json")) {
            Files.copy(Golden.of("caption").hf().resolve(f), snapshot.resolve(f));
        }
        Criteria<Image, String> criteria = Criteria.builder()
                .setTypes(Image.class, String.class)
                .optModelUrls(BlipZoo.url("Salesforce/blip-tiny") + "?offline=true&cache_dir=" + cache.toUri().getRawPath())
                .build();
        try (ZooModel<Image, String> model = criteria.loadModel();
                Predictor<Image, String> predictor = model.newPredictor()) {
            assertEquals(expected.get(0).text(), predictor.predict(images().get(0)));
        }
    }

    @Test
    void djlServingInputOutput() throws Exception {
        Criteria<Input, Output> criteria = Criteria.builder()
                .setTypes(Input.class, Output.class)
                .optModelUrls(BlipZoo.url(Golden.of("caption").hf()))
                .build();
        List<Input> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Input in = new Input();
            in.add(Files.readAllBytes(Golden.image(i)));
            inputs.add(in);
            if (i == 0) {
                Input bad = new Input();
                bad.add("not an image".getBytes(StandardCharsets.UTF_8));
                inputs.add(bad);
            }
        }
        try (ZooModel<Input, Output> model = criteria.loadModel();
                Predictor<Input, Output> predictor = model.newPredictor()) {
            List<Output> out = predictor.batchPredict(inputs);
            assertEquals(4, out.size());
            assertEquals(400, out.get(1).getCode());
            assertTrue(JsonParser.parseString(out.get(1).getData().getAsString()).getAsJsonObject().has("error"));
            int[] rows = {0, 2, 3};
            for (int i = 0; i < 3; i++) {
                Output o = out.get(rows[i]);
                assertEquals(200, o.getCode());
                assertEquals("application/json", o.getProperty("Content-Type", null));
                JsonObject json = JsonParser.parseString(o.getData().getAsString()).getAsJsonObject();
                assertEquals(expected.get(i).text(), json.get("caption").getAsString());
                assertEquals(expected.get(i).tokenIds().length, json.getAsJsonArray("token_ids").size());
            }
        }
    }

    @Test
    void theFactoryOffersExactlyItsTasks() {
        BlipTranslatorFactory factory = new BlipTranslatorFactory();
        assertTrue(factory.isSupported(Image.class, String.class));
        assertTrue(factory.isSupported(Image.class, Caption.class));
        assertTrue(factory.isSupported(Image.class, Caption[].class));
        assertTrue(factory.isSupported(ImageText.class, dev.blip4j.models.matching.Match.class));
        assertTrue(factory.isSupported(VisualQuestion.class, String.class));
        assertTrue(factory.isSupported(ClosedQuestion.class, dev.blip4j.models.vqa.AnswerRanking.class));
        assertTrue(factory.isSupported(Image.class, float[].class));
        assertTrue(factory.isSupported(String.class, float[].class));
        assertTrue(factory.isSupported(Input.class, Output.class));
        assertEquals(9, factory.getSupportedTypes().size());
        // Any other pair is claimed too, so that DJL never falls back to a default translator, and refused by name.
        assertTrue(factory.isSupported(Image.class, Integer.class));
        dev.blip4j.core.InputException e = assertThrows(dev.blip4j.core.InputException.class,
                () -> factory.newInstance(Image.class, Integer.class, null, java.util.Map.of()));
        assertTrue(e.getMessage().contains("java.lang.Integer") && e.getMessage().contains("(Image, Caption)")
                && e.getMessage().contains("(ClosedQuestion, AnswerRanking)"), e.getMessage());
    }

    @Test
    void servingTasksAreChosenByTheTaskArgument() {
        Criteria<Input, Output> itm = Criteria.builder().setTypes(Input.class, Output.class)
                .optModelUrls(BlipZoo.url(Golden.of("caption").hf()) + "?task=itm").build();
        Exception e = assertThrows(Exception.class, itm::loadModel);
        assertTrue(DjlMatchingTest.rootMessage(e).contains("image-text matching needs"), DjlMatchingTest.rootMessage(e));
        Criteria<Input, Output> unknown = Criteria.builder().setTypes(Input.class, Output.class)
                .optModelUrls(BlipZoo.url(Golden.of("caption").hf()) + "?task=translate").build();
        e = assertThrows(Exception.class, unknown::loadModel);
        assertTrue(DjlMatchingTest.rootMessage(e).contains("task must be caption, itm or vqa, got 'translate'"),
                DjlMatchingTest.rootMessage(e));
    }
}
