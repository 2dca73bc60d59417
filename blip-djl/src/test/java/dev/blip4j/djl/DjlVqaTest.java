package dev.blip4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.ImageQuestion;
import dev.blip4j.models.vqa.AnswerRanking;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * VQA the DJL way on the golden {@code vqa/} model: {@code (VisualQuestion, String)} predictors
 * answer as {@link VisualQuestionAnswerer} does, so a batch of the three golden questions gets the
 * official answers; {@code (ClosedQuestion, AnswerRanking)} ranks the golden answer list as the official
 * {@code rank_answer} with {@code k_test=4}; the DJL Serving form answers like {@code blip vqa --json}.
 */
class DjlVqaTest {

    static final Golden G = Golden.of("vqa");
    static List<String> questions;
    static List<String> answerList;
    static List<Answer> batchAnswers;
    static List<Answer> aloneAnswers;
    static List<AnswerRanking> rankings;

    static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    @BeforeAll
    static void answerWithTheTaskApi() {
        questions = strings(G.json().getAsJsonObject("texts").getAsJsonArray("questions"));
        answerList = strings(G.results().getAsJsonObject("rank").getAsJsonArray("answer_list"));
        try (BlipModel model = BlipModel.load(G.hf())) {
            VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model, VqaOptions.defaults().withCandidates(4));
            List<ImageQuestion> pairs = new ArrayList<>();
            aloneAnswers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RgbImage image = model.readImage(Golden.image(i));
                pairs.add(new ImageQuestion(image, questions.get(i)));
                aloneAnswers.add(vqa.answer(image, questions.get(i)));
            }
            batchAnswers = vqa.answerAll(pairs).stream().map(a -> a.get(0)).toList();
            rankings = vqa.rankAll(pairs, AnswerList.of(answerList, model));
        }
        // The goldens' own answers, so that this test cannot pass on a broken answerer either.
        List<String> golden = strings(G.results().getAsJsonObject("generate").getAsJsonArray("answers"));
        List<String> goldenRanked = strings(G.results().getAsJsonObject("rank").getAsJsonArray("answers"));
        for (int i = 0; i < 3; i++) {
            assertEquals(golden.get(i), batchAnswers.get(i).text(), "question " + i);
            assertEquals(goldenRanked.get(i), rankings.get(i).best().answer(), "question " + i);
        }
    }

    @Test
    void generatedAnswersAsTheAnswererAndTheGolden() throws Exception {
        Criteria<VisualQuestion, String> criteria = Criteria.builder().setTypes(VisualQuestion.class, String.class)
                .optModelUrls(BlipZoo.url(G.hf())).build();
        List<Image> images = DjlCaptionTest.images();
        List<VisualQuestion> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inputs.add(new VisualQuestion(images.get(i), questions.get(i)));
        }
        List<String> golden = strings(G.results().getAsJsonObject("generate").getAsJsonArray("answers"));
        try (ZooModel<VisualQuestion, String> model = criteria.loadModel();
                Predictor<VisualQuestion, String> predictor = model.newPredictor()) {
            // One batch pads the questions together, as the golden run did.
            assertEquals(golden, predictor.batchPredict(inputs));
            for (int i = 0; i < 3; i++) {
                assertEquals(aloneAnswers.get(i).text(), predictor.predict(inputs.get(i)), "question " + i + " alone");
            }
        }
    }

    @Test
    void rankedAnswersAsTheOfficialRankAnswer() throws Exception {
        Criteria<ClosedQuestion, AnswerRanking> criteria = Criteria.builder().setTypes(ClosedQuestion.class, AnswerRanking.class)
                .optModelUrls(BlipZoo.url(G.hf()) + "?k=4").build();
        List<Image> images = DjlCaptionTest.images();
        List<ClosedQuestion> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inputs.add(new ClosedQuestion(images.get(i), questions.get(i), answerList));
        }
        // A question about image 0 with another list, in the middle of the batch.
        List<String> shorter = answerList.subList(0, 5);
        inputs.add(1, new ClosedQuestion(images.get(0), questions.get(0), shorter));
        try (ZooModel<ClosedQuestion, AnswerRanking> model = criteria.loadModel();
                Predictor<ClosedQuestion, AnswerRanking> predictor = model.newPredictor()) {
            List<AnswerRanking> got = predictor.batchPredict(inputs);
            assertEquals(4, got.size());
            got.remove(1);
            float[] scores = new float[3 * 4];
            long[] topk = new long[3 * 4];
            for (int i = 0; i < 3; i++) {
                AnswerRanking r = got.get(i);
                assertEquals(questions.get(i), r.question());
                assertArrayEquals(rankings.get(i).candidates(), r.candidates());
                assertArrayEquals(rankings.get(i).scores(), r.scores(), 1e-6f);
                System.arraycopy(r.scores(), 0, scores, i * 4, 4);
                for (int c = 0; c < 4; c++) {
                    topk[i * 4 + c] = r.candidates()[c];
                }
                assertEquals(rankings.get(i).best(), r.best());
            }
            G.assertIds("rank.topk_ids", topk);
            G.assertClose("rank.log_probs_sum", scores, 3, 4);
            AnswerRanking alone = predictor.predict(new ClosedQuestion(images.get(0), questions.get(0), shorter));
            assertEquals(shorter, alone.answers().answers());
            assertTrue(alone.best().index() < 5);
        }
        Exception e = assertThrows(Exception.class, () -> {
            try (ZooModel<ClosedQuestion, AnswerRanking> model = criteria.loadModel();
                    Predictor<ClosedQuestion, AnswerRanking> predictor = model.newPredictor()) {
                predictor.predict(new ClosedQuestion(images.get(0), "what?", List.of("yes", "no", "yes")));
            }
        });
        assertTrue(DjlMatchingTest.rootMessage(e).contains("holds \"yes\" twice"), DjlMatchingTest.rootMessage(e));
        assertThrows(InputException.class, () -> new ClosedQuestion(images.get(0), "what?", null));
        assertThrows(InputException.class, () -> new VisualQuestion(images.get(0), null));
    }

    @Test
    void servingAnswersLikeBlipVqa() throws Exception {
        Criteria<Input, Output> criteria = Criteria.builder().setTypes(Input.class, Output.class)
                .optModelUrls(BlipZoo.url(G.hf())).build(); // a VQA checkpoint serves vqa by default
        List<Input> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonObject json = new JsonObject();
            json.addProperty("image", "data:image/png;base64,"
                    + Base64.getEncoder().encodeToString(Files.readAllBytes(Golden.image(i))));
            json.addProperty("question", questions.get(i));
            Input in = new Input();
            in.add(json.toString());
            in.addProperty("Content-Type", "application/json");
            inputs.add(in);
        }
        Input broken = new Input();
        broken.add("{\"image\": \"not base64!\", \"question\": \"why?\"}");
        inputs.add(broken);
        List<String> golden = strings(G.results().getAsJsonObject("generate").getAsJsonArray("answers"));
        try (ZooModel<Input, Output> model = criteria.loadModel();
                Predictor<Input, Output> predictor = model.newPredictor()) {
            List<Output> out = predictor.batchPredict(inputs);
            for (int i = 0; i < 3; i++) {
                assertEquals(200, out.get(i).getCode());
                JsonObject row = JsonParser.parseString(out.get(i).getData().getAsString()).getAsJsonObject();
                assertEquals(questions.get(i), row.get("question").getAsString());
                assertEquals(golden.get(i), row.get("answer").getAsString());
                assertEquals(batchAnswers.get(i).score(), row.get("score").getAsDouble(), 1e-6);
            }
            assertEquals(400, out.get(3).getCode());
            assertTrue(out.get(3).getData().getAsString().contains("not valid base64"), out.get(3).getData().getAsString());
        }
    }
}
