package dev.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.capfilt.CandidateRow.Source;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.testing.Golden;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * CapFilt on the tiny golden models: the web texts are the golden captions, so their ITM
 * probabilities must be the official ones ({@code retrieval/itm_probs} with [ENC] first,
 * {@code itm/itm_probs} with [CLS]) and the keep decisions must follow them; kept synthetic
 * captions re-score above the threshold; seeds make runs repeatable and independent of batching.
 */
class CapFiltGoldenTest {

    @TempDir
    Path dir;

    static List<Sample> read(Path file) {
        List<Sample> out = new ArrayList<>();
        for (InputFile f : SampleReader.files(file)) {
            try (SampleIterator it = SampleReader.open(f)) {
                it.forEachRemaining(out::add);
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(FirstToken.class)
    void webTextsScoreAsTheGoldens(FirstToken token) throws IOException {
        String kind = token == FirstToken.ENC ? "retrieval" : "itm";
        Golden g = Golden.of(kind);
        float[] probs = g.tensor("itm_probs").toFloatArray();
        float[] sims = g.tensor("itc_sim").toFloatArray();
        List<Sample> samples = read(CapFiltFixtures.goldenPairs(dir));
        for (Layout layout : Layout.values()) {
            try (BlipModel cap = CapFiltFixtures.captioner(layout); BlipModel filt = CapFiltFixtures.filter(kind, layout)) {
                CapFiltOptions options = CapFiltOptions.defaults().withFirstToken(token).withNumCaptions(2);
                List<CandidateRow> rows = new CapFilt(cap, filt, options).process(samples);
                assertEquals(12 * 3, rows.size());
                double maxItm = 0;
                double maxItc = 0;
                int kept = 0;
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 4; j++) {
                        CandidateRow web = rows.get((i * 4 + j) * 3);
                        assertEquals(Source.WEB, web.source());
                        assertEquals(CapFiltFixtures.captions().get(j), web.text());
                        assertEquals("images/image" + i + ".png", web.image());
                        assertNull(web.error());
                        maxItm = Math.max(maxItm, Math.abs(web.itm() - probs[i * 4 + j]));
                        maxItc = Math.max(maxItc, Math.abs(web.itc() - sims[i * 4 + j]));
                        boolean goldenKeeps = probs[i * 4 + j] >= 0.5;
                        assertEquals(goldenKeeps, web.kept(), "image " + i + " caption " + j + " itm " + web.itm());
                        kept += web.kept() ? 1 : 0;
                        for (int k = 1; k <= 2; k++) {
                            assertEquals(Source.SYNTHETIC, rows.get((i * 4 + j) * 3 + k).source());
                        }
                    }
                }
                System.out.printf("capfilt %s %s: web itm max |err| %.3g, itc max |err| %.3g vs %s goldens; "
                        + "%d of 12 web texts kept%n", token, layout, maxItm, maxItc, kind, kept);
                assertTrue(maxItm <= 1e-5, "itm error " + maxItm);
                assertTrue(maxItc <= 1e-5, "itc error " + maxItc);
                assertTrue(kept > 0 && kept < 12, "the goldens straddle 0.5: " + kept);
            }
        }
    }

    @Test
    void keptSyntheticCaptionsRescoreAtOrAboveTheThreshold() throws IOException {
        List<Sample> samples = read(CapFiltFixtures.goldenPairs(dir));
        try (BlipModel cap = CapFiltFixtures.captioner(Layout.HUGGINGFACE);
                BlipModel filt = CapFiltFixtures.filter("retrieval", Layout.HUGGINGFACE)) {
            CapFiltOptions options = CapFiltOptions.defaults().withNumCaptions(3).withThreshold(0.6);
            List<CandidateRow> rows = new CapFilt(cap, filt, options).process(samples);
            ImageTextMatcher alone = new ImageTextMatcher(filt, MatchOptions.defaults().withFirstToken(FirstToken.ENC));
            int kept = 0;
            int removed = 0;
            for (CandidateRow r : rows) {
                if (r.source() != Source.SYNTHETIC) {
                    continue;
                }
                int image = r.image().charAt("images/image".length()) - '0';
                Match m = alone.match(Golden.image(image), r.text());
                assertEquals(m.itm(), r.itm(), 1e-6, r.text());
                assertEquals(m.itc(), r.itc(), 1e-6, r.text());
                assertEquals(m.itm() >= 0.6, r.kept(), r.text() + " " + m.itm());
                if (r.kept()) {
                    assertTrue(m.itm() >= 0.6);
                    kept++;
                } else {
                    removed++;
                }
            }
            System.out.printf("capfilt synthetic captions at threshold 0.6: %d kept, %d removed%n", kept, removed);
            assertTrue(kept > 0 && removed > 0, kept + " kept, " + removed + " removed");
        }
    }

    @Test
    void sameSeedSameRowsWhateverTheBatchingAndOrder() throws IOException {
        List<Sample> samples = read(CapFiltFixtures.goldenPairs(dir));
        try (BlipModel cap = CapFiltFixtures.captioner(Layout.HUGGINGFACE);
                BlipModel filt = CapFiltFixtures.filter("retrieval", Layout.HUGGINGFACE)) {
            CapFiltOptions options = CapFiltOptions.defaults().withNumCaptions(2);
            List<String> reference = lines(new CapFilt(cap, filt, options).process(samples));
            assertEquals(lines(new CapFilt(cap, filt, options).process(samples)), reference, "second run");
            for (int batch : new int[] {1, 5}) {
                assertEquals(reference, lines(new CapFilt(cap, filt, options.withBatchSize(batch)).process(samples)),
                        "batch size " + batch);
            }
            List<Sample> reversed = new ArrayList<>(samples);
            java.util.Collections.reverse(reversed);
            List<String> backwards = new ArrayList<>(lines(new CapFilt(cap, filt, options.withBatchSize(5)).process(reversed)));
            List<String> sortedRef = new ArrayList<>(reference);
            java.util.Collections.sort(sortedRef);
            java.util.Collections.sort(backwards);
            assertEquals(sortedRef, backwards, "reversed order");
            // the seed matters, and so does the key: same image, same text, other key, other draws
            assertNotEquals(reference, lines(new CapFilt(cap, filt, options.withSeed(7)).process(samples)));
            List<String> captions = new ArrayList<>();
            for (CandidateRow r : reference.stream().map(CandidateRow::fromJson).toList()) {
                if (r.source() == Source.SYNTHETIC && r.image().endsWith("image0.png")) {
                    captions.add(r.text());
                }
            }
            assertEquals(8, captions.size());
            assertTrue(captions.stream().distinct().count() > 2, "draws differ across keys: " + captions);
        }
    }

    @Test
    void beamSearchGivesTheCaptionersBestBeams() throws IOException {
        List<Sample> samples = read(CapFiltFixtures.goldenPairs(dir)).subList(0, 5);
        try (BlipModel cap = CapFiltFixtures.captioner(Layout.ORIGINAL);
                BlipModel filt = CapFiltFixtures.filter("itm", Layout.ORIGINAL)) {
            CapFiltOptions options = CapFiltOptions.defaults().withBeams(3).withNumCaptions(2)
                    .withFirstToken(FirstToken.CLS);
            List<CandidateRow> rows = new CapFilt(cap, filt, options).process(samples);
            Captioner captioner = new Captioner(cap, options.captionOptions());
            for (int s = 0; s < 5; s++) {
                int image = s / 4;
                List<Caption> want = captioner.caption(Golden.image(image));
                assertEquals(want.get(0).text(), rows.get(s * 3 + 1).text());
                assertEquals(want.get(1).text(), rows.get(s * 3 + 2).text());
            }
            assertFalse(rows.get(1).text().equals(rows.get(2).text()), "two different beams");
        }
    }

    private static List<String> lines(List<CandidateRow> rows) {
        return rows.stream().map(CandidateRow::toJson).toList();
    }
}
