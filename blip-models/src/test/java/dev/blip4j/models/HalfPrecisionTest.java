package dev.blip4j.models;

import static dev.blip4j.models.testing.GoldenModels.images;
import static dev.blip4j.models.testing.Arrays2.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.features.MultimodalFeatures;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchMatrix;
import dev.blip4j.models.retrieval.EvaluationScores;
import dev.blip4j.models.retrieval.GalleryIndex;
import dev.blip4j.models.retrieval.GalleryIndexer;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.retrieval.RetrievalEvaluator;
import dev.blip4j.models.retrieval.SearchHit;
import dev.blip4j.models.retrieval.SearchOptions;
import dev.blip4j.models.retrieval.TextRetriever;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.AnswerRanking;
import dev.blip4j.models.vqa.ImageQuestion;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every workload runs on float16 weights with float32 in and out, and its numbers stay within a
 * stated distance of the same workload on float32 weights (which the golden tests hold to the
 * official outputs); discrete results (tokens, answers, rankings) are the same. float16 keeps 11
 * bits of mantissa, so each op rounds at about 5e-4 relative; on the tiny golden models, whose
 * values are of order one, the largest errors measured are 1.1e-3 for probabilities, cosines and
 * normalised embeddings, 5.8e-3 for hidden states, and 1.3e-2 for VQA's rank scores (sums of
 * log-probabilities over an answer). bfloat16 is refused: DJL 0.36 cannot cast to it.
 */
class HalfPrecisionTest {

    /** Probabilities, cosines and normalised embeddings (largest error measured 1.1e-3). */
    static final double UNIT_TOLERANCE = 0.01;
    /** Hidden states, logits and scores: sums of logits or log-probabilities (largest error measured 1.3e-2). */
    static final double STATE_TOLERANCE = 0.05;

    @Test
    void bfloat16IsRefusedBeforeItCanAbortTheProcess() {
        InputException e = assertThrows(InputException.class,
                () -> BlipModel.builder(Golden.of("caption").hf()).dtype(DataType.BFLOAT16).load());
        assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
    }

    static BlipModel half(Golden g) {
        return BlipModel.builder(g.hf()).dtype(DataType.FLOAT16).load();
    }

    @Test
    void imageEmbeddingsStayCloseToTheFloat32Golden() {
        Golden g = Golden.of("caption");
        try (BlipModel half = half(g); NDManager m = half.network().newManager()) {
            Blip net = half.network();
            assertEquals(DataType.FLOAT16, net.dtype());
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            assertEquals(DataType.FLOAT32, images.getDataType());
            assertClose("image embeddings", g.tensor("image_embeds").toFloatArray(), images.toFloatArray(),
                    STATE_TOLERANCE);
        }
    }

    @Test
    void captionsAreTheFloat32Captions() {
        Golden g = Golden.of("caption");
        try (BlipModel full = BlipModel.load(g.hf()); BlipModel half = half(g)) {
            List<List<Caption>> want = new Captioner(full).caption(images(full));
            List<List<Caption>> got = new Captioner(half).caption(images(half));
            double maxScore = 0;
            for (int i = 0; i < want.size(); i++) {
                Caption w = want.get(i).get(0);
                Caption h = got.get(i).get(0);
                assertArrayEquals(w.tokenIds(), h.tokenIds(), "image " + i + ": " + w.text() + " / " + h.text());
                assertEquals(w.text(), h.text());
                maxScore = Math.max(maxScore, Math.abs(w.score() - h.score()));
            }
            report("caption beam scores", maxScore);
            assertTrue(maxScore < STATE_TOLERANCE, "beam score error " + maxScore);
        }
    }

    @Test
    void itmAndItcScoresStayClose() {
        Golden g = Golden.of("itm");
        List<String> texts = GoldenModels.captions(g);
        try (BlipModel full = BlipModel.load(g.hf()); BlipModel half = half(g)) {
            MatchMatrix want = new ImageTextMatcher(full).match(images(full), texts);
            ImageTextMatcher matcher = new ImageTextMatcher(half);
            MatchMatrix got = matcher.match(images(half), texts);
            assertClose("itm probabilities", want.itm().values(), got.itm().values(), UNIT_TOLERANCE);
            assertClose("itm logits", want.itmLogits().values(), got.itmLogits().values(), STATE_TOLERANCE);
            assertClose("itc cosines", want.itc().values(), got.itc().values(), UNIT_TOLERANCE);
            // the golden's own numbers, for scale
            assertClose("itm probabilities vs golden", g.tensor("itm_probs").toFloatArray(), got.itm().values(),
                    UNIT_TOLERANCE);

            List<RgbImage> images = images(half);
            List<Match> pairs = matcher.matchPairs(List.of(images.get(0), images.get(2)), texts.subList(0, 2));
            List<List<Match>> each = matcher.matchEach(images.subList(0, 2), List.of(texts, texts.subList(1, 3)));
            float[] pairItm = {(float) pairs.get(0).itm(), (float) pairs.get(1).itm(),
                    (float) each.get(1).get(0).itm(), (float) each.get(1).get(1).itm()};
            float[] wantItm = {want.itm().get(0, 0), want.itm().get(2, 1), want.itm().get(1, 1), want.itm().get(1, 2)};
            assertClose("itm of pairs and per-image texts", wantItm, pairItm, UNIT_TOLERANCE);
        }
    }

    @Test
    void featuresStayClose() {
        Golden g = Golden.of("feature_extractor");
        List<String> texts = GoldenModels.captions(g);
        try (BlipModel full = BlipModel.load(g.hf()); BlipModel half = half(g)) {
            FeatureExtractor f32 = new FeatureExtractor(full);
            FeatureExtractor f16 = new FeatureExtractor(half);
            assertClose("image feature states", concat(f32.images(images(full)), ImageFeatures::states),
                    concat(f16.images(images(half)), ImageFeatures::states), STATE_TOLERANCE);
            assertClose("text feature states", concat(f32.texts(texts), TextFeatures::states),
                    concat(f16.texts(texts), TextFeatures::states), STATE_TOLERANCE);
            List<List<MultimodalFeatures>> want = f32.multimodal(images(full), texts);
            List<List<MultimodalFeatures>> got = f16.multimodal(images(half), texts);
            for (int i = 0; i < 3; i++) {
                assertClose("multimodal feature states of image " + i, concat(want.get(i), MultimodalFeatures::states),
                        concat(got.get(i), MultimodalFeatures::states), STATE_TOLERANCE);
            }
        }
        Golden itm = Golden.of("itm");
        try (BlipModel full = BlipModel.load(itm.hf()); BlipModel half = half(itm)) {
            assertClose("ITC image embeddings", concat(new FeatureExtractor(full).images(images(full)),
                    ImageFeatures::embedding), concat(new FeatureExtractor(half).images(images(half)),
                    ImageFeatures::embedding), UNIT_TOLERANCE);
            List<String> texts2 = GoldenModels.captions(itm);
            assertClose("ITC text embeddings", concat(new FeatureExtractor(full).texts(texts2), TextFeatures::embedding),
                    concat(new FeatureExtractor(half).texts(texts2), TextFeatures::embedding), UNIT_TOLERANCE);
        }
    }

    @Test
    void searchWithReRankingRanksAsFloat32(@TempDir Path tmp) {
        Golden g = Golden.of("retrieval");
        List<String> texts = GoldenModels.captions(g);
        List<Path> files = List.of(Golden.image(0), Golden.image(1), Golden.image(2));
        try (BlipModel full = BlipModel.load(g.hf()); BlipModel half = half(g)) {
            // image -> texts, all four re-ranked: the official i2t scores
            SearchOptions all = SearchOptions.defaults().withK(4).withRerank(4);
            for (int i = 0; i < 3; i++) {
                List<SearchHit> want = new TextRetriever(full, texts).search(full.readImage(files.get(i)), all).hits();
                List<SearchHit> got = new TextRetriever(half, texts).search(half.readImage(files.get(i)), all).hits();
                assertSameHits("image " + i + " -> texts", want, got);
            }
            // text -> images over an index built by the float32 model (the identity ignores the dtype)
            new GalleryIndexer(full).build(tmp.resolve("index"), files, null);
            GalleryIndex index = GalleryIndex.open(tmp.resolve("index"));
            SearchOptions images = SearchOptions.defaults().withK(3).withRerank(3);
            for (String text : texts) {
                assertSameHits("\"" + text + "\" -> images", new ImageRetriever(full, index).search(text, images).hits(),
                        new ImageRetriever(half, index).search(text, images).hits());
            }
            // the official evaluation's matrices
            EvaluationScores want = new RetrievalEvaluator(full).evaluate(images(full), texts, 2);
            EvaluationScores got = new RetrievalEvaluator(half).evaluate(images(half), texts, 2);
            assertClose("evaluation sims", want.sims().values(), got.sims().values(), UNIT_TOLERANCE);
            assertClose("evaluation i2t", want.i2t().values(), got.i2t().values(), STATE_TOLERANCE);
            assertClose("evaluation t2i", want.t2i().values(), got.t2i().values(), STATE_TOLERANCE);
        }
    }

    @Test
    void vqaGeneratesAndRanksAsFloat32() {
        Golden g = Golden.of("vqa");
        List<String> questions = new ArrayList<>();
        g.json().getAsJsonObject("texts").getAsJsonArray("questions").forEach(e -> questions.add(e.getAsString()));
        List<String> answers = new ArrayList<>();
        g.results().getAsJsonObject("rank").getAsJsonArray("answer_list").forEach(e -> answers.add(e.getAsString()));
        try (BlipModel full = BlipModel.load(g.hf()); BlipModel half = half(g)) {
            List<List<Answer>> want = new VisualQuestionAnswerer(full).answerAll(pairs(full, questions));
            List<List<Answer>> got = new VisualQuestionAnswerer(half).answerAll(pairs(half, questions));
            double maxScore = 0;
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(want.get(i).get(0).tokenIds(), got.get(i).get(0).tokenIds(), "question " + i);
                maxScore = Math.max(maxScore, Math.abs(want.get(i).get(0).score() - got.get(i).get(0).score()));
            }
            report("vqa generate beam scores", maxScore);
            assertTrue(maxScore < STATE_TOLERANCE, "answer score error " + maxScore);

            VqaOptions k4 = VqaOptions.defaults().withCandidates(4);
            List<AnswerRanking> wantRank = new VisualQuestionAnswerer(full, k4).rankAll(pairs(full, questions),
                    AnswerList.of(answers, full));
            List<AnswerRanking> gotRank = new VisualQuestionAnswerer(half, k4).rankAll(pairs(half, questions),
                    AnswerList.of(answers, half));
            for (int i = 0; i < 3; i++) {
                AnswerRanking w = wantRank.get(i);
                AnswerRanking h = gotRank.get(i);
                assertArrayEquals(w.candidates(), h.candidates(), "question " + i + " candidates");
                assertEquals(w.best().answer(), h.best().answer(), "question " + i);
                assertClose("vqa rank first-token probabilities " + i, w.firstTokenProbabilities(),
                        h.firstTokenProbabilities(), UNIT_TOLERANCE);
                assertClose("vqa rank scores " + i, w.scores(), h.scores(), STATE_TOLERANCE);
            }
        }
    }

    private static List<ImageQuestion> pairs(BlipModel m, List<String> questions) {
        List<RgbImage> images = images(m);
        List<ImageQuestion> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add(new ImageQuestion(images.get(i), questions.get(i)));
        }
        return out;
    }

    private static void assertSameHits(String what, List<SearchHit> want, List<SearchHit> got) {
        assertEquals(want.size(), got.size(), what);
        float[] w = new float[want.size() * 2];
        float[] h = new float[w.length];
        for (int r = 0; r < want.size(); r++) {
            assertEquals(want.get(r).index(), got.get(r).index(), what + " rank " + (r + 1));
            assertEquals(want.get(r).reranked(), got.get(r).reranked(), what + " rank " + (r + 1));
            w[2 * r] = (float) want.get(r).score();
            h[2 * r] = (float) got.get(r).score();
            w[2 * r + 1] = (float) want.get(r).itc();
            h[2 * r + 1] = (float) got.get(r).itc();
        }
        assertClose(what + " scores", w, h, STATE_TOLERANCE);
    }

    private static <T> float[] concat(List<T> items, Function<T, float[]> part) {
        int n = items.stream().mapToInt(t -> part.apply(t).length).sum();
        float[] out = new float[n];
        int at = 0;
        for (T t : items) {
            float[] p = part.apply(t);
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static void assertClose(String what, float[] want, float[] got, double tolerance) {
        assertEquals(want.length, got.length, what + ": element count");
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) want[i] - got[i]);
            assertTrue(err <= tolerance, String.format("%s[%d]: float32 %.6g, float16 %.6g", what, i, want[i], got[i]));
            max = Math.max(max, err);
        }
        report(what, max);
    }

    private static void report(String what, double maxError) {
        System.out.printf("float16 %-42s max abs error %.3g%n", what, maxError);
    }
}
