package dev.blip4j.models.vqa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.core.generate.Generator;
import dev.blip4j.core.generate.Sequence;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.text.BatchEncoding;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * VQA's rules for odd inputs (refused checkpoints, empty and malformed answer lists, too long
 * answers, duplicates, ties, empty and long questions, k), the image-reuse and batch forms, and
 * thread safety, on the golden VQA model (HF layout).
 */
class VqaInputsTest {

    static BlipModel model;
    static RgbImage image0;
    static List<String> questions;
    static List<String> answerList;

    @BeforeAll
    static void load() {
        model = BlipModel.load(VqaGoldenTest.G.hf());
        image0 = model.readImage(Golden.image(0));
        questions = VqaGoldenTest.questions();
        answerList = VqaGoldenTest.answerList();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static VisualQuestionAnswerer vqa(int k) {
        return new VisualQuestionAnswerer(model, VqaOptions.defaults().withCandidates(k));
    }

    @ParameterizedTest
    @ValueSource(strings = {"caption", "itm", "feature_extractor"})
    void refusesCheckpointsWithoutQuestionEncoderAndAnswerDecoder(String kind) {
        try (BlipModel other = BlipModel.load(Golden.of(kind).hf())) {
            ModelException e = assertThrows(ModelException.class, () -> new VisualQuestionAnswerer(other));
            String missing = kind.equals("caption") ? "no question encoder (text_encoder)"
                    : "no answer decoder (text_decoder)";
            assertTrue(e.getMessage().contains(missing), e.getMessage());
            assertTrue(e.getMessage().contains("cannot answer questions"), e.getMessage());
        }
    }

    @Test
    void refusesMaxLengthBeyondThePositionTable() {
        VqaOptions options = VqaOptions.defaults().withGeneration(
                GenerationConfig.defaults().withNumBeams(3).withLengths(1, 65));
        InputException e = assertThrows(InputException.class, () -> new VisualQuestionAnswerer(model, options));
        assertTrue(e.getMessage().contains("position table of 64"), e.getMessage());
    }

    // ---- answer lists -------------------------------------------------------------------------

    @Test
    void emptyAnswerListIsRefused() {
        InputException e = assertThrows(InputException.class, () -> AnswerList.of(List.of(), model));
        assertTrue(e.getMessage().contains("answer list is empty"), e.getMessage());
        assertThrows(InputException.class, () -> AnswerList.of(null, model));
        assertThrows(InputException.class, () -> vqa(4).rank(image0, "what?", null));
    }

    @Test
    void answersUpToThePositionTableFitAndLongerOnesAreRefusedByName() {
        // "cat" is one token: [DEC] + 62 cats + [SEP] = 64 ids, the golden decoder's table.
        String fits = "cat ".repeat(62).strip();
        String tooLong = "cat ".repeat(63).strip();
        AnswerList ok = AnswerList.of(List.of("no", fits), model);
        assertEquals(64, ok.encoding().width());
        AnswerRanking r = vqa(2).rank(image0, questions.get(0), ok);
        assertEquals(2, r.k());
        assertTrue(Float.isFinite(r.scores()[0]) && Float.isFinite(r.scores()[1]));

        InputException e = assertThrows(InputException.class, () -> AnswerList.of(List.of("no", tooLong), model));
        assertTrue(e.getMessage().contains("answers[1]"), e.getMessage());
        assertTrue(e.getMessage().contains("\"cat cat cat"), e.getMessage());
        assertTrue(e.getMessage().contains("64 positions"), e.getMessage());
    }

    @Test
    void identicalAnswersAreRefusedNamingBothPositions() {
        InputException e = assertThrows(InputException.class,
                () -> AnswerList.of(List.of("yes", "no", "yes"), model));
        assertTrue(e.getMessage().contains("\"yes\" twice"), e.getMessage());
        assertTrue(e.getMessage().contains("answers[0] and answers[2]"), e.getMessage());
    }

    @Test
    void answersThatTokeniseAlikeAreKeptAndTiesGoToTheEarlierEntry() {
        // "Yes" and "yes" have the same ids, so the same probabilities and scores: as torch.topk
        // and argmax, the earlier entry comes first and wins.
        List<String> before = new ArrayList<>(answerList);
        before.add(0, "Yes");
        List<String> after = new ArrayList<>(answerList);
        after.add("Yes");
        VisualQuestionAnswerer vqa = vqa(5);
        AnswerRanking first = vqa.rank(image0, questions.get(0), AnswerList.of(before, model));
        AnswerRanking last = vqa.rank(image0, questions.get(0), AnswerList.of(after, model));
        assertEquals("yes", VqaGoldenTest.G.results().getAsJsonObject("rank").getAsJsonArray("answers").get(0)
                .getAsString());
        assertEquals(0, first.best().index());
        assertEquals("Yes", first.best().answer());
        assertEquals(7, last.best().index());
        assertEquals("yes", last.best().answer());
        int yes = indexOf(last.candidates(), 7);
        int capital = indexOf(last.candidates(), 8);
        assertTrue(yes >= 0 && capital == yes + 1, "tied candidates in list order: " + java.util.Arrays.toString(
                last.candidates()));
        assertEquals(last.scores()[yes], last.scores()[capital]);
        assertEquals(8, last.top(2).get(1).index());
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void kIsCappedAtTheListSizeAndMustBePositive() {
        AnswerRanking r = new VisualQuestionAnswerer(model).rank(image0, questions.get(0), AnswerList.of(answerList, model));
        assertEquals(8, r.k(), "default k 128 capped at 8 answers");
        assertEquals(7, r.best().index(), "with every answer scored the winner is still the golden one");
        assertThrows(InputException.class, () -> VqaOptions.defaults().withCandidates(0));
        assertThrows(InputException.class, () -> r.top(0));
        assertEquals(3, r.top(3).size());
    }

    @Test
    void rankingDoesNotDependOnBatching() {
        AnswerList answers = AnswerList.of(answerList, model);
        List<ImageQuestion> pairs = VqaGoldenTest.goldenPairs(model);
        List<AnswerRanking> together = vqa(4).rankAll(pairs, answers);
        List<AnswerRanking> alone = new VisualQuestionAnswerer(model,
                VqaOptions.defaults().withCandidates(4).withBatchSize(1)).rankAll(pairs, answers);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(together.get(i).candidates(), alone.get(i).candidates());
            assertArrayEquals(together.get(i).scores(), alone.get(i).scores(), 1e-5f);
            assertArrayEquals(together.get(i).firstTokenProbabilities(), alone.get(i).firstTokenProbabilities(),
                    1e-7f);
        }
    }

    // ---- questions ----------------------------------------------------------------------------

    @Test
    void emptyQuestionIsEncAndSepAndIsAnswered() {
        VisualQuestionAnswerer vqa = vqa(4);
        BatchEncoding q = vqa.encodeQuestions(List.of(""));
        assertArrayEquals(new long[][] {{303, 3}}, q.ids());
        assertArrayEquals(new long[][] {{1, 1}}, q.attentionMask());
        assertArrayEquals(q.ids(), vqa.encodeQuestions(List.of("  \t ")).ids(), "whitespace is an empty question");

        Answer answer = vqa.answer(image0, "");
        assertEquals("", answer.question());
        // The same by hand: [ENC] [SEP] encoded with the image, beam 3 / max 10 / min 1 from [DEC].
        Blip net = model.network();
        try (NDManager m = net.newManager()) {
            NDArray image = net.encodeImage(model.pixels(List.of(image0), m));
            NDArray ids = m.create(new long[] {303, 3}, new Shape(1, 2));
            NDArray states = net.encodeMultimodal(ids, m.create(new long[] {1, 1}, new Shape(1, 2)), image, null);
            GenerationConfig config = VqaOptions.defaultGeneration();
            Sequence want;
            try (DecoderSession session = net.startDecoding(states, null, 3)) {
                want = Generator.generate(session, new long[] {302}, 1, config, 3, 0, null, null).get(0).get(0);
            }
            assertArrayEquals(want.ids(), answer.tokenIds());
            assertEquals(want.score(), answer.score(), 1e-6);
            assertEquals(model.tokenizer().decode(want.ids()), answer.text());
        }
        AnswerRanking ranked = vqa.rank(image0, "", AnswerList.of(answerList, model));
        assertEquals(4, ranked.k());
        assertTrue(Double.isFinite(ranked.best().score()));
        assertEquals(answerList.get(ranked.best().index()), ranked.best().answer());
    }

    @Test
    void questionsAreTruncatedTo35Ids() {
        String longQuestion = "is the cat on the red table or on the blue table near the window ".repeat(4);
        BatchEncoding q = vqa(4).encodeQuestions(List.of(longQuestion, "what?"));
        assertEquals(35, q.width());
        long[][] ids = q.ids();
        assertEquals(303, ids[0][0]);
        assertEquals(3, ids[0][34], "[SEP] stays last");
        assertEquals(303, ids[1][0]);
        assertEquals(0, ids[1][34], "padded to the longest");
        assertEquals("cat", model.tokenizer().decode(new long[] {ids[0][3]}));
        Answer a = vqa(4).answer(image0, longQuestion);
        assertEquals(longQuestion, a.question());
        assertEquals(302, a.tokenIds()[0]);
    }

    @Test
    void nullInputsAreRefused() {
        VisualQuestionAnswerer vqa = vqa(4);
        assertThrows(InputException.class, () -> vqa.answer(image0, (String) null));
        assertThrows(InputException.class, () -> vqa.answer(image0, (List<String>) null));
        assertThrows(InputException.class, () -> vqa.answer(image0, java.util.Arrays.asList("what?", null)));
        assertThrows(InputException.class, () -> new ImageQuestion(null, "what?"));
        assertThrows(InputException.class, () -> vqa.answerAll(null));
        assertEquals(List.of(), vqa.answerAll(List.of()));
    }

    // ---- one image, many questions; batch forms -------------------------------------------------

    @Test
    void severalQuestionsAboutOneImageReuseItsEncodingWithTheSameResults() {
        VisualQuestionAnswerer vqa = vqa(4);
        List<Answer> shared = vqa.answer(image0, questions);
        RgbImage copy1 = model.readImage(Golden.image(0));
        RgbImage copy2 = model.readImage(Golden.image(0));
        List<List<Answer>> separate = vqa.answerAll(List.of(new ImageQuestion(image0, questions.get(0)),
                new ImageQuestion(copy1, questions.get(1)), new ImageQuestion(copy2, questions.get(2))));
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(separate.get(i).get(0).tokenIds(), shared.get(i).tokenIds());
            assertEquals(separate.get(i).get(0).score(), shared.get(i).score(), 1e-6);
        }
        // Question 0 about image 0, padded with the same questions as in the golden batch: its answer.
        assertEquals(new GoldenAnswers().answer(0), shared.get(0).text());

        AnswerList answers = AnswerList.of(answerList, model);
        List<AnswerRanking> ranked = vqa.rank(image0, questions, answers);
        assertEquals(3, ranked.size());
        assertEquals(7, ranked.get(0).best().index(), "question 0 about image 0 ranks as in the golden");
    }

    @Test
    void everyDecodingOptionApplies() {
        GenerationConfig three = VqaOptions.defaultGeneration().withNumReturnSequences(3);
        List<List<Answer>> answers = new VisualQuestionAnswerer(model, VqaOptions.defaults().withGeneration(three))
                .answerAll(VqaGoldenTest.goldenPairs(model));
        GoldenAnswers golden = new GoldenAnswers();
        for (int i = 0; i < 3; i++) {
            List<Answer> forQuestion = answers.get(i);
            assertEquals(3, forQuestion.size());
            assertEquals(golden.answer(i), forQuestion.get(0).text(), "the best is the default answer");
            assertTrue(forQuestion.get(0).score() >= forQuestion.get(1).score());
            assertTrue(forQuestion.get(1).score() >= forQuestion.get(2).score());
        }
        GenerationConfig greedy = GenerationConfig.defaults().withGreedy().withLengths(3, 5);
        Answer a = new VisualQuestionAnswerer(model, VqaOptions.defaults().withGeneration(greedy))
                .answer(image0, questions.get(0));
        assertTrue(a.tokenIds().length >= 3 && a.tokenIds().length <= 5, java.util.Arrays.toString(a.tokenIds()));
        assertTrue(a.tokenIds().length == 5 || a.tokenIds()[a.tokenIds().length - 1] == 3);
    }

    /** The golden generated answers. */
    private static final class GoldenAnswers {
        String answer(int i) {
            return VqaGoldenTest.G.results().getAsJsonObject("generate").getAsJsonArray("answers").get(i)
                    .getAsString();
        }
    }

    @Test
    void isThreadSafe() throws Exception {
        VisualQuestionAnswerer vqa = vqa(4);
        AnswerList answers = AnswerList.of(answerList, model);
        List<ImageQuestion> pairs = VqaGoldenTest.goldenPairs(model);
        List<List<Answer>> wantAnswers = vqa.answerAll(pairs);
        List<AnswerRanking> wantRanks = vqa.rankAll(pairs, answers);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    List<List<Answer>> got = vqa.answerAll(pairs);
                    List<AnswerRanking> ranks = vqa.rankAll(pairs, answers);
                    for (int i = 0; i < 3; i++) {
                        assertArrayEquals(wantAnswers.get(i).get(0).tokenIds(), got.get(i).get(0).tokenIds());
                        assertArrayEquals(wantRanks.get(i).scores(), ranks.get(i).scores(), 1e-6f);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }
}
