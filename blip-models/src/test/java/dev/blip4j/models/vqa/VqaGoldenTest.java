package dev.blip4j.models.vqa;

import static dev.blip4j.models.testing.Arrays2.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.text.BatchEncoding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * VQA end to end against the official {@code BLIP_VQA} on the golden model, in both checkpoint
 * layouts, from the PNG files (decode, resize, normalise, tokenise here) and from the golden pixel
 * tensors: generated answers (ids, strings, beam scores) and both stages of rank mode with the
 * golden's {@code k_test=4}.
 */
class VqaGoldenTest {

    static final Golden G = Golden.of("vqa");
    static final int K_TEST = 4;

    static BlipModel load(Layout layout) {
        return layout == Layout.ORIGINAL
                ? BlipModel.builder(G.original()).tokenizer(Golden.root().resolve("tokenizer/vocab.txt")).load()
                : BlipModel.load(G.hf());
    }

    static List<String> strings(JsonArray array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    static List<String> questions() {
        return strings(G.json().getAsJsonObject("texts").getAsJsonArray("questions"));
    }

    static List<String> answerList() {
        return strings(G.results().getAsJsonObject("rank").getAsJsonArray("answer_list"));
    }

    static List<ImageQuestion> goldenPairs(BlipModel model) {
        List<String> questions = questions();
        List<ImageQuestion> pairs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pairs.add(new ImageQuestion(model.readImage(Golden.image(i)), questions.get(i)));
        }
        return pairs;
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void questionsAndAnswersTokenisedAsTheOfficialCode(Layout layout) {
        try (BlipModel model = load(layout)) {
            VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model);
            BatchEncoding q = vqa.encodeQuestions(questions());
            G.assertIds("question_input_ids", q.flatIds());
            G.assertIds("question_attention_mask", q.flatAttentionMask());
            AnswerList answers = AnswerList.of(answerList(), model);
            G.assertIds("answer_input_ids", answers.encoding().flatIds());
            G.assertIds("answer_attention_mask", answers.encoding().flatAttentionMask());
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void generatesTheOfficialAnswersFromPngFiles(Layout layout) {
        try (BlipModel model = load(layout)) {
            List<List<Answer>> answers = new VisualQuestionAnswerer(model).answerAll(goldenPairs(model));
            assertGenerated(answers);
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void generatesTheOfficialAnswersFromPixelTensors(Layout layout) {
        try (BlipModel model = load(layout); NDManager m = model.network().newManager()) {
            NDArray states = model.network().encodeImage(floats(m, G.input("pixel_values")));
            assertGenerated(new VisualQuestionAnswerer(model).answerEncoded(states, new int[] {0, 1, 2}, questions(),
                    dev.blip4j.core.text.DecodingRoute.ALONE));
        }
    }

    static void assertGenerated(List<List<Answer>> answers) {
        JsonObject result = G.results().getAsJsonObject("generate");
        assertEquals(3, answers.size());
        float[] scores = new float[3];
        for (int i = 0; i < 3; i++) {
            assertEquals(1, answers.get(i).size(), "one answer per question by default");
            Answer a = answers.get(i).get(0);
            long[] want = stripPadding(Golden.longs(result.getAsJsonArray("sequences").get(i).getAsJsonArray()));
            assertArrayEquals(want, a.tokenIds(), "question " + i + ": " + Arrays.toString(a.tokenIds()));
            assertEquals(result.getAsJsonArray("answers").get(i).getAsString(), a.text(), "question " + i);
            assertEquals(questions().get(i), a.question());
            scores[i] = (float) a.score();
        }
        G.assertClose("generate.sequence_scores", scores, 3);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void ranksAsTheOfficialCodeFromPngFiles(Layout layout) {
        try (BlipModel model = load(layout)) {
            VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model, VqaOptions.defaults().withCandidates(K_TEST));
            assertRanked(vqa.rankAll(goldenPairs(model), AnswerList.of(answerList(), model)));
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void ranksAsTheOfficialCodeFromPixelTensors(Layout layout) {
        try (BlipModel model = load(layout); NDManager m = model.network().newManager()) {
            VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model, VqaOptions.defaults().withCandidates(K_TEST));
            NDArray states = model.network().encodeImage(floats(m, G.input("pixel_values")));
            assertRanked(vqa.rankEncoded(states, new int[] {0, 1, 2}, questions(), AnswerList.of(answerList(), model)));
        }
    }

    static void assertRanked(List<AnswerRanking> rankings) {
        JsonObject rank = G.results().getAsJsonObject("rank");
        assertEquals(3, rankings.size());
        float[] firstToken = new float[3 * 8];
        long[] topkIds = new long[3 * K_TEST];
        float[] topkProbs = new float[3 * K_TEST];
        float[] scores = new float[3 * K_TEST];
        long[] maxIds = new long[3];
        for (int i = 0; i < 3; i++) {
            AnswerRanking r = rankings.get(i);
            assertEquals(questions().get(i), r.question());
            assertEquals(K_TEST, r.k());
            System.arraycopy(r.firstTokenProbabilities(), 0, firstToken, i * 8, 8);
            for (int c = 0; c < K_TEST; c++) {
                topkIds[i * K_TEST + c] = r.candidates()[c];
            }
            System.arraycopy(r.candidateProbabilities(), 0, topkProbs, i * K_TEST, K_TEST);
            System.arraycopy(r.scores(), 0, scores, i * K_TEST, K_TEST);
            RankedAnswer best = r.best();
            maxIds[i] = best.index();
            assertEquals(rank.getAsJsonArray("answers").get(i).getAsString(), best.answer(), "question " + i);
        }
        G.assertClose("rank.prob_first_token", firstToken, 3, 8);
        G.assertIds("rank.topk_ids", topkIds);
        G.assertClose("rank.topk_probs", topkProbs, 3, K_TEST);
        G.assertClose("rank.log_probs_sum", scores, 3, K_TEST);
        G.assertIds("rank.max_ids", maxIds);
        assertArrayEquals(Golden.longs(rank.getAsJsonArray("max_ids")), maxIds);
        assertArrayEquals(Golden.longs(rank.getAsJsonArray("topk_ids").get(0).getAsJsonArray()),
                Arrays.copyOf(topkIds, K_TEST));
        assertTopMatchesGoldenScores(rankings);
    }

    /** top(n): the golden scores sorted, with softmax-of-scores probabilities. */
    static void assertTopMatchesGoldenScores(List<AnswerRanking> rankings) {
        float[] golden = G.tensor("rank.log_probs_sum").toFloatArray();
        long[] goldenIds = G.tensor("rank.topk_ids").toLongArray();
        for (int i = 0; i < 3; i++) {
            List<RankedAnswer> top = rankings.get(i).top(10);
            assertEquals(K_TEST, top.size(), "n is capped at k");
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < K_TEST; c++) {
                max = Math.max(max, golden[i * K_TEST + c]);
            }
            double sum = 0;
            for (int c = 0; c < K_TEST; c++) {
                sum += Math.exp(golden[i * K_TEST + c] - max);
            }
            double total = 0;
            for (int n = 0; n < top.size(); n++) {
                RankedAnswer a = top.get(n);
                int c = indexOf(goldenIds, i * K_TEST, a.index());
                assertEquals(golden[i * K_TEST + c], a.score(), 1e-4, "question " + i + " answer " + a.answer());
                assertEquals(Math.exp(golden[i * K_TEST + c] - max) / sum, a.probability(), 1e-4);
                assertEquals(answerList().get(a.index()), a.answer());
                if (n > 0) {
                    assertTrue(top.get(n - 1).score() >= a.score(), "best first");
                }
                total += a.probability();
            }
            assertEquals(1.0, total, 1e-12);
        }
    }

    private static int indexOf(long[] ids, int from, long id) {
        for (int c = 0; c < K_TEST; c++) {
            if (ids[from + c] == id) {
                return c;
            }
        }
        throw new AssertionError("answer " + id + " is not among the golden top-k " + Arrays.toString(ids));
    }

    static long[] stripPadding(long[] ids) {
        int n = ids.length;
        while (n > 0 && ids[n - 1] == 0) {
            n--;
        }
        return Arrays.copyOf(ids, n);
    }

    static RgbImage image(BlipModel model, int i) {
        return model.readImage(Golden.image(i));
    }
}
