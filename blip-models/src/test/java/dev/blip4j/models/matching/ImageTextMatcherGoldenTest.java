package dev.blip4j.models.matching;

import static dev.blip4j.models.testing.GoldenModels.images;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Arrays2;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The matcher against the official outputs: {@code itm/} ({@code BLIP_ITM}, {@code [CLS]} first, the
 * matcher's default) and {@code retrieval/} ({@code [ENC]} first, as the retrieval evaluation), from
 * the PNG files and from the golden pixel tensors, in both checkpoint layouts.
 */
class ImageTextMatcherGoldenTest {

    @ParameterizedTest
    @EnumSource(Layout.class)
    void itmDefaultsToClsLikeBlipItm(Layout layout) {
        Golden g = Golden.of("itm");
        try (BlipModel model = GoldenModels.load(g, layout)) {
            ImageTextMatcher matcher = new ImageTextMatcher(model);
            assertEquals(FirstToken.CLS, matcher.options().firstToken());
            assertGolden(g, matcher.match(images(model), GoldenModels.captions(g)), layout + " png");
            ImageTextMatcher small = new ImageTextMatcher(model,
                    MatchOptions.defaults().withImageBatchSize(2).withTextBatchSize(3));
            assertGolden(g, small.match(images(model), GoldenModels.captions(g)), layout + " png, batches of 2 and 3");
            try (NDManager m = model.network().newManager()) {
                assertGolden(g, small.matchPixels(Arrays2.floats(m, g.input("pixel_values")), GoldenModels.captions(g)),
                        layout + " pixels, batches of 2 and 3");
                MatchMatrix fromPixels = matcher.matchPixels(Arrays2.floats(m, g.input("pixel_values")),
                        GoldenModels.captions(g));
                assertGolden(g, fromPixels, layout + " pixels");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void retrievalWithEncLikeTheEvaluation(Layout layout) {
        Golden g = Golden.of("retrieval");
        try (BlipModel model = GoldenModels.load(g, layout)) {
            ImageTextMatcher matcher = new ImageTextMatcher(model, MatchOptions.defaults().withFirstToken(FirstToken.ENC));
            assertGolden(g, matcher.match(images(model), GoldenModels.captions(g)), layout + " png");
            try (NDManager m = model.network().newManager()) {
                assertGolden(g, matcher.matchPixels(Arrays2.floats(m, g.input("pixel_values")), GoldenModels.captions(g)),
                        layout + " pixels");
            }
        }
    }

    /**
     * The first token matters: on either golden model the other choice misses that golden's ITM
     * probabilities by far more than their tolerance (1e-5), while ITC does not depend on it.
     */
    @ParameterizedTest
    @EnumSource(FirstToken.class)
    void clsAndEncGiveDifferentItm(FirstToken token) {
        Golden g = Golden.of(token == FirstToken.CLS ? "retrieval" : "itm");
        try (BlipModel model = GoldenModels.load(g, Layout.HUGGINGFACE)) {
            MatchMatrix got = new ImageTextMatcher(model, MatchOptions.defaults().withFirstToken(token))
                    .match(images(model), GoldenModels.captions(g));
            float[] want = g.tensor("itm_probs").toFloatArray();
            float[] itm = got.itm().values();
            double maxDiff = 0;
            for (int i = 0; i < want.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(itm[i] - want[i]));
            }
            System.out.printf("%s with %s: max |itm - golden| %.3g%n", g.dir().getFileName(), token, maxDiff);
            assertTrue(maxDiff > 1e-2, "the first token changed nothing: " + maxDiff);
            g.assertClose("itc_sim", got.itc().values(), 3, 4);
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void singlePairsAndOneImageAgreeWithTheMatrix(Layout layout) {
        Golden g = Golden.of("itm");
        List<String> captions = GoldenModels.captions(g);
        try (BlipModel model = GoldenModels.load(g, layout)) {
            ImageTextMatcher matcher = new ImageTextMatcher(model, MatchOptions.defaults().withTextBatchSize(3));
            float[] probs = g.tensor("itm_probs").toFloatArray();
            float[] sims = g.tensor("itc_sim").toFloatArray();
            for (int i = 0; i < 3; i++) {
                List<Match> row = matcher.match(Golden.image(i), captions);
                for (int j = 0; j < 4; j++) {
                    Match one = matcher.match(Golden.image(i), captions.get(j));
                    assertEquals(captions.get(j), one.text());
                    assertEquals(probs[i * 4 + j], one.itm(), 1e-5, "itm " + i + "," + j);
                    assertEquals(sims[i * 4 + j], one.itc(), 1e-5, "itc " + i + "," + j);
                    // a pair alone and within a batch of texts: the same numbers up to float rounding
                    assertEquals(row.get(j).text(), one.text());
                    assertEquals(row.get(j).itm(), one.itm(), 1e-6);
                    assertEquals(row.get(j).itc(), one.itc(), 1e-6);
                }
            }
        }
    }

    /**
     * Row-wise pairs, every (image, text) combination in text-major order so that the pairs of one
     * image are spread over several text batches and share its encoding: the golden ITM
     * probabilities and ITC similarities, and the matrix's numbers.
     */
    @ParameterizedTest
    @EnumSource(Layout.class)
    void pairsScoreAsTheGoldenAndTheMatrix(Layout layout) {
        Golden g = Golden.of("itm");
        List<String> captions = GoldenModels.captions(g);
        try (BlipModel model = GoldenModels.load(g, layout)) {
            List<RgbImage> images = images(model);
            List<RgbImage> pairImages = new ArrayList<>();
            List<String> pairTexts = new ArrayList<>();
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 3; i++) {
                    pairImages.add(images.get(i));
                    pairTexts.add(captions.get(j));
                }
            }
            ImageTextMatcher small = new ImageTextMatcher(model,
                    MatchOptions.defaults().withImageBatchSize(2).withTextBatchSize(5));
            List<Match> pairs = small.matchPairs(pairImages, pairTexts);
            MatchMatrix matrix = new ImageTextMatcher(model).match(images, captions);
            float[] itm = new float[12];
            float[] itc = new float[12];
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 3; i++) {
                    Match m = pairs.get(j * 3 + i);
                    assertEquals(captions.get(j), m.text());
                    itm[i * 4 + j] = (float) m.itm();
                    itc[i * 4 + j] = (float) m.itc();
                    assertEquals(matrix.itm().get(i, j), m.itm(), 1e-6, "itm " + i + "," + j);
                    assertEquals(matrix.itc().get(i, j), m.itc(), 1e-6, "itc " + i + "," + j);
                }
            }
            g.assertClose("itm_probs", itm, 3, 4);
            g.assertClose("itc_sim", itc, 3, 4);
            assertEquals(List.of(), small.matchPairs(List.of(), List.of()));
            InputException e = assertThrows(InputException.class,
                    () -> small.matchPairs(images, captions));
            assertTrue(e.getMessage().contains("3 images for 4 texts"), e.getMessage());
        }
    }

    /** ITM alone: the same ITM numbers from every entry point, and NaN where the ITC cosine would be. */
    @ParameterizedTest
    @EnumSource(Layout.class)
    void itmOnlySkipsItc(Layout layout) {
        Golden g = Golden.of("itm");
        List<String> captions = GoldenModels.captions(g);
        try (BlipModel model = GoldenModels.load(g, layout)) {
            List<RgbImage> images = images(model);
            ImageTextMatcher itmOnly = new ImageTextMatcher(model, MatchOptions.defaults().withItc(false));
            MatchMatrix matrix = itmOnly.match(images, captions);
            g.assertClose("itm_probs", matrix.itm().values(), 3, 4);
            for (float v : matrix.itc().values()) {
                assertTrue(Float.isNaN(v), "itc without ITC: " + v);
            }
            List<Match> pairs = itmOnly.matchPairs(images, captions.subList(0, 3));
            List<List<Match>> each = itmOnly.matchEach(images, List.of(captions, captions, captions));
            for (int i = 0; i < 3; i++) {
                assertEquals(matrix.itm().get(i, i), pairs.get(i).itm(), 1e-6);
                assertTrue(Double.isNaN(pairs.get(i).itc()));
                for (int j = 0; j < 4; j++) {
                    assertEquals(matrix.itm().get(i, j), each.get(i).get(j).itm(), 1e-6);
                    assertTrue(Double.isNaN(each.get(i).get(j).itc()));
                }
            }
        }
    }

    private static void assertGolden(Golden g, MatchMatrix got, String label) {
        assertEquals(3, got.images());
        g.assertClose("itm_probs", got.itm().values(), 3, 4);
        g.assertClose("itc_sim", got.itc().values(), 3, 4);
        GoldenModels.assertCloseAs(g, "itm_logits", g.dir().getFileName() + "/itm_logits[..., 1] " + label,
                GoldenModels.lastIndex(g.tensor("itm_logits").toFloatArray(), 2, 1), got.itmLogits().values());
        List<Match> image1 = got.matches(1);
        assertEquals(GoldenModels.captions(g), image1.stream().map(Match::text).toList());
    }
}
