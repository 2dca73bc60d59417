package dev.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.blip4j.capfilt.CandidateRow.Source;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CapFilt with a float16 captioner and filter against float32: ITM and ITC scores within 0.01 of
 * float32's for the same texts (the largest error measured on the golden models is about 1e-3)
 * and the same keep decisions. Beam search writes the same captions. Nucleus sampling draws with
 * the same seeds, but on the tiny random-weight captioner, whose next-token distributions are
 * nearly flat, a float16 rounding can tip a draw and the captions part after a few tokens: there
 * each caption's scores are compared with float32's scores of the same caption.
 */
class CapFiltHalfPrecisionTest {

    static final double TOLERANCE = 0.01;

    @TempDir
    Path dir;

    @Test
    void float16ScoresAndKeepsAsFloat32() throws IOException {
        // images 0 and 1 with every caption, and image 2 with one: keeps the test to seconds
        List<Sample> samples = CapFiltGoldenTest.read(CapFiltFixtures.goldenPairs(dir)).subList(0, 9);
        CapFiltOptions beams = CapFiltOptions.defaults().withBeams(3).withNumCaptions(2);
        CapFiltOptions nucleus = CapFiltOptions.defaults().withNumCaptions(2);
        try (BlipModel cap = BlipModel.load(Golden.of("caption").hf());
                BlipModel filt = BlipModel.load(Golden.of("retrieval").hf());
                BlipModel cap16 = BlipModel.builder(Golden.of("caption").hf()).dtype(DataType.FLOAT16).load();
                BlipModel filt16 = BlipModel.builder(Golden.of("retrieval").hf()).dtype(DataType.FLOAT16).load()) {
            List<CandidateRow> want = new CapFilt(cap, filt, beams).process(samples);
            List<CandidateRow> got = new CapFilt(cap16, filt16, beams).process(samples);
            assertEquals(want.size(), got.size());
            double[] max = new double[2];
            for (int r = 0; r < want.size(); r++) {
                assertEquals(want.get(r).text(), got.get(r).text(), "beam search row " + r);
                assertScoredAlike("beam search row " + r, want.get(r), got.get(r), max);
            }
            System.out.printf("capfilt float16, beam search: itm max |err| %.3g, itc max |err| %.3g over %d rows%n",
                    max[0], max[1], want.size());

            ImageTextMatcher rescore = new ImageTextMatcher(filt, MatchOptions.defaults().withFirstToken(FirstToken.ENC));
            List<RgbImage> images = GoldenModels.images(filt);
            List<CandidateRow> sampled = new CapFilt(cap16, filt16, nucleus).process(samples);
            max = new double[2];
            int synthetic = 0;
            for (int r = 0; r < sampled.size(); r++) {
                CandidateRow h = sampled.get(r);
                int image = h.image().charAt("images/image".length()) - '0';
                Match m = rescore.match(images.get(image), h.text());
                CandidateRow w = new CandidateRow(h.key(), h.image(), h.text(), h.source(), m.itm(), m.itc(),
                        m.itm() >= nucleus.threshold(), null, h.extra());
                assertScoredAlike("nucleus row " + r, w, h, max);
                synthetic += h.source() == Source.SYNTHETIC ? 1 : 0;
            }
            assertEquals(18, synthetic);
            System.out.printf("capfilt float16, nucleus sampling: itm max |err| %.3g, itc max |err| %.3g vs float32"
                    + " scores of the same texts%n", max[0], max[1]);
        }
    }

    private static void assertScoredAlike(String what, CandidateRow w, CandidateRow h, double[] max) {
        assertEquals(w.source(), h.source(), what);
        assertNull(h.error(), what);
        double itm = Math.abs(w.itm() - h.itm());
        double itc = Math.abs(w.itc() - h.itc());
        assertTrue(itm <= TOLERANCE && itc <= TOLERANCE, what + ": itm " + w.itm() + " / " + h.itm() + ", itc "
                + w.itc() + " / " + h.itc());
        assertEquals(w.kept(), h.kept(), what + ": itm " + w.itm() + " / " + h.itm());
        max[0] = Math.max(max[0], itm);
        max[1] = Math.max(max[1], itc);
    }
}
