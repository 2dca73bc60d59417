package dev.blip4j.models.blip2;

import static dev.blip4j.models.testing.GoldenModels.assertCloseAs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.FeatureOptions;
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
import dev.blip4j.models.retrieval.IndexListener;
import dev.blip4j.models.retrieval.IndexOptions;
import dev.blip4j.models.retrieval.SearchHit;
import dev.blip4j.models.retrieval.SearchOptions;
import dev.blip4j.models.retrieval.SearchResult;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import dev.blip4j.models.text.Padding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task layer with a BLIP-2 model, from the golden PNGs (whose preprocessing gives the golden
 * pixels) and caption strings: ITM probabilities and ITC similarities of all 3 images x 4 captions,
 * Blip2Qformer's features, and the gallery index searched by query-max ITC and re-ranked by ITM.
 */
class Blip2TasksGoldenTest {

    static final Golden G = Blip2NetworkGoldenTest.G;

    static BlipModel model;
    static List<RgbImage> images;
    static List<String> captions;

    @BeforeAll
    static void load() {
        model = BlipModel.builder(G.original()).tokenizer(Golden.root().resolve("tokenizer/vocab.txt")).load();
        images = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            images.add(model.readImage(Golden.image(i)));
        }
        captions = GoldenModels.captions(G);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void matcherGivesBlip2ItmAndItcForEveryPair() {
        assertTrue(model.isBlip2());
        MatchMatrix m = new ImageTextMatcher(model).match(images, captions);
        float[] itm = G.tensor("itm_probs").toFloatArray();
        float[] itc = G.tensor("itc_sim").toFloatArray();
        G.assertClose("itm_probs", m.itm().values(), 3, 4);
        G.assertClose("itc_sim", m.itc().values(), 3, 4);
        assertCloseAs(G, "itm_logits", "blip2/itm_logits[..., 1] via the matcher",
                GoldenModels.lastIndex(G.tensor("itm_logits").toFloatArray(), 2, 1), m.itmLogits().values());

        List<RgbImage> pairImages = new ArrayList<>();
        List<String> pairTexts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (String c : captions) {
                pairImages.add(images.get(i));
                pairTexts.add(c);
            }
        }
        List<Match> pairs = new ImageTextMatcher(model).matchPairs(pairImages, pairTexts);
        float[] pairItm = new float[12];
        float[] pairItc = new float[12];
        for (int k = 0; k < 12; k++) {
            pairItm[k] = (float) pairs.get(k).itm();
            pairItc[k] = (float) pairs.get(k).itc();
        }
        assertCloseAs(G, "itm_probs", "blip2/itm_probs via matchPairs", itm, pairItm);
        assertCloseAs(G, "itc_sim", "blip2/itc_sim via matchPairs", itc, pairItc);
    }

    @Test
    void featuresAreBlip2QformersExtractFeatures() {
        FeatureExtractor fx = new FeatureExtractor(model, FeatureOptions.defaults().withPadding(Padding.LONGEST));
        List<ImageFeatures> image = fx.images(images);
        assertNull(image.get(0).embedding());
        assertEquals(4, image.get(0).queryCount());
        assertEquals(16, image.get(0).embedDim());
        G.assertClose("image_embeds", concat(image.stream().map(ImageFeatures::states).toList()), 3, 17, 48);
        G.assertClose("query_embeds", concat(image.stream().map(ImageFeatures::queries).toList()), 3, 4, 32);
        G.assertClose("query_feats", concat(image.stream().map(ImageFeatures::queryEmbeddings).toList()), 3, 4, 16);

        List<TextFeatures> text = fx.texts(captions);
        assertArrayEquals(G.input("captions.input_ids").toLongArray(),
                text.stream().flatMapToLong(t -> java.util.Arrays.stream(t.ids())).toArray());
        G.assertClose("text_embeds", concat(text.stream().map(TextFeatures::states).toList()), 4, 19, 32);
        G.assertClose("text_feats", concat(text.stream().map(TextFeatures::tokenEmbeddings).toList()), 4, 19, 16);

        List<List<MultimodalFeatures>> mm = fx.multimodal(images, captions);
        List<float[]> states = new ArrayList<>();
        mm.forEach(row -> row.forEach(f -> states.add(f.states())));
        assertEquals(4, mm.get(0).get(0).queries());
        G.assertClose("multimodal_embeds", concat(states), 3, 4, 4, 32);
    }

    @Test
    void indexStoresEveryQueryAndSearchesByQueryMaxItc(@TempDir Path tmp) {
        Path dir = tmp.resolve("index");
        List<Path> files = List.of(Golden.image(0), Golden.image(1), Golden.image(2));
        new GalleryIndexer(model, IndexOptions.defaults()).build(dir, files, IndexListener.NONE);
        GalleryIndex index = GalleryIndex.open(dir);
        assertEquals(4, index.embeddingsPerImage());
        assertEquals(4 * 16, index.embedding(0).length);
        assertCloseAs(G, "query_feats", "blip2/query_feats of image 1 in the index",
                java.util.Arrays.copyOfRange(G.tensor("query_feats").toFloatArray(), 64, 128), index.embedding(1));

        ImageRetriever retriever = new ImageRetriever(model, index);
        float[] itc = G.tensor("itc_sim").toFloatArray();
        float[] itmLogits = G.tensor("itm_logits").toFloatArray();
        for (int j = 0; j < 4; j++) {
            SearchResult itcOnly = retriever.search(captions.get(j), SearchOptions.defaults().withK(3));
            float[] want = new float[3];
            float[] got = new float[3];
            for (SearchHit hit : itcOnly.hits()) {
                int i = imageNumber(hit);
                want[hit.rank() - 1] = itc[i * 4 + j];
                got[hit.rank() - 1] = (float) hit.itc();
                assertNull(hit.itm());
            }
            assertCloseAs(G, "itc_sim", "blip2 search '" + captions.get(j) + "' itc", want, got);
            for (int r = 1; r < 3; r++) {
                assertTrue(got[r - 1] >= got[r], "ranked by query-max ITC");
            }

            SearchResult reranked = retriever.search(captions.get(j), SearchOptions.defaults().withK(3).withRerank(3));
            float[] wantScore = new float[3];
            float[] gotScore = new float[3];
            for (SearchHit hit : reranked.hits()) {
                int i = imageNumber(hit);
                assertNotNull(hit.itm());
                wantScore[hit.rank() - 1] = itmLogits[(i * 4 + j) * 2 + 1] + itc[i * 4 + j];
                gotScore[hit.rank() - 1] = (float) hit.score();
            }
            assertCloseAs(G, "itm_logits", "blip2 re-ranked '" + captions.get(j) + "' itm logit + itc", wantScore,
                    gotScore);
        }
        InputException e = assertThrows(InputException.class,
                () -> retriever.searchSimilar(images.get(0), SearchOptions.defaults()));
        assertTrue(e.getMessage().contains("BLIP-2"), e.getMessage());
    }

    /** LAVIS's compute_sim_matrix: query-max ITC, and the top k_test re-scored with the ITM logit plus it. */
    @Test
    void retrievalEvaluationIsLavisComputeSimMatrix() {
        EvaluationScores s = new RetrievalEvaluator(model).evaluate(images, captions, 4);
        G.assertClose("itc_sim", s.sims().values(), 3, 4);
        float[] itc = G.tensor("itc_sim").toFloatArray();
        float[] match = GoldenModels.lastIndex(G.tensor("itm_logits").toFloatArray(), 2, 1);
        float[] want = new float[12];
        for (int k = 0; k < 12; k++) {
            want[k] = match[k] + itc[k];
        }
        assertCloseAs(G, "itm_logits", "blip2 evaluation i2t (k_test 4: every pair)", want, s.i2t().values());
        assertCloseAs(G, "itm_logits", "blip2 evaluation t2i", s.t2i().transpose().values(), s.i2t().values());
    }

    /** K of a hit on golden/images/imageK.png. */
    private static int imageNumber(SearchHit hit) {
        String name = Path.of(hit.path()).getFileName().toString();
        return Integer.parseInt(name.substring("image".length(), name.indexOf('.')));
    }

    private static float[] concat(List<float[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
