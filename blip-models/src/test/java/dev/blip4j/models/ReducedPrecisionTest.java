package dev.blip4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.CpuFeatures;
import dev.blip4j.core.InputException;
import dev.blip4j.core.Precision;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.MatchMatrix;
import dev.blip4j.models.matching.ScoreMatrix;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * bfloat16 and int8 linear layers run every task with float32 in and out and agree with float32 on
 * the golden models, within the tolerances the README states: ITM probabilities and ITC cosines of
 * the golden ITM model, the token ids of beam and greedy captions of the three golden images, and
 * VQA answers. Where the CPU cannot run bfloat16 natively, loading it is refused by name (see
 * {@code PrecisionTest} in blip-core for the refusal on any CPU).
 */
class ReducedPrecisionTest {

    private static final List<String> QUESTIONS = List.of("what color is the horse?", "how many womans are there?",
            "is the bird walking on the kitchen?");

    /** [DEC] and "a picture of": the tokens every caption starts with. */
    private static final int PROMPT = 4;

    /** Shortest common start of a caption with float32's, in tokens, and the percentage of tokens before they part. */
    private static final int[] BFLOAT16_CAPTION = {2, 60}; // measured: 2, 48 of 68 (71%)
    private static final int[] INT8_CAPTION = {0, 50}; // measured: 0, 42 of 68 (62%)

    private static boolean bfloat16Here() {
        return CpuFeatures.has("avx512_bf16") || CpuFeatures.has("amx_bf16");
    }

    @Test
    void bfloat16IsRefusedByNameOnlyWhereTheCpuLacksIt() {
        Golden g = Golden.of("itm");
        if (bfloat16Here()) {
            try (BlipModel m = BlipModel.builder(g.hf()).precision(Precision.BFLOAT16).load()) {
                assertTrue(m.network() != null);
            }
        } else {
            InputException e = assertThrows(InputException.class,
                    () -> BlipModel.builder(g.hf()).precision(Precision.BFLOAT16).load());
            assertTrue(e.getMessage().contains("AVX512_BF16"), e.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "INT8"})
    void matchingStaysCloseToFloat32(Precision precision) {
        if (precision == Precision.BFLOAT16 && !bfloat16Here()) {
            return; // refused: bfloat16IsRefusedByNameOnlyWhereTheCpuLacksIt
        }
        Golden g = Golden.of("itm");
        try (BlipModel full = BlipModel.load(g.hf());
                BlipModel reduced = BlipModel.builder(g.hf()).precision(precision).load()) {
            List<RgbImage> images = GoldenModels.images(full);
            List<String> texts = GoldenModels.captions(g);
            MatchMatrix want = new ImageTextMatcher(full).match(images, texts);
            MatchMatrix got = new ImageTextMatcher(reduced).match(images, texts);
            double itm = maxDiff(want.itm(), got.itm());
            double itc = maxDiff(want.itc(), got.itc());
            System.out.printf("%s vs float32 on the golden ITM model: ITM probability %.2g, ITC cosine %.2g%n",
                    precision, itm, itc);
            double tolerance = precision == Precision.BFLOAT16 ? 0.01 : 0.05;
            assertTrue(itm < tolerance && itc < tolerance, precision + ": ITM " + itm + ", ITC " + itc);
            assertTrue(itm > 0 || itc > 0, "the reduced layers were used");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "INT8"})
    void captionsHaveFloat32sTokens(Precision precision) {
        if (precision == Precision.BFLOAT16 && !bfloat16Here()) {
            return;
        }
        Golden g = Golden.of("caption");
        CaptionOptions greedy = CaptionOptions.defaults()
                .withGeneration(GenerationConfig.defaults().withGreedy().withLengths(5, 20));
        // The golden captioner's random weights leave its next-token logits nearly tied, so a
        // reduced caption departs from float32's after some tokens; how many agree is measured
        int agreeing = 0;
        int total = 0;
        int shortestPrefix = Integer.MAX_VALUE;
        try (BlipModel full = BlipModel.load(g.hf());
                BlipModel reduced = BlipModel.builder(g.hf()).precision(precision).load()) {
            List<RgbImage> images = GoldenModels.images(full);
            for (Function<BlipModel, Captioner> captioner : List.<Function<BlipModel, Captioner>>of(
                    Captioner::new, m -> new Captioner(m, greedy))) {
                List<Caption> want = captioner.apply(full).caption(images).stream().map(c -> c.get(0)).toList();
                List<Caption> got = captioner.apply(reduced).caption(images).stream().map(c -> c.get(0)).toList();
                assertEquals(want.size(), got.size());
                for (int i = 0; i < want.size(); i++) {
                    long[] a = want.get(i).tokenIds();
                    long[] b = got.get(i).tokenIds();
                    assertArrayEquals(Arrays.copyOf(a, PROMPT), Arrays.copyOf(b, PROMPT), "[DEC] and the prompt");
                    int prefix = 0;
                    while (PROMPT + prefix < Math.min(a.length, b.length) && a[PROMPT + prefix] == b[PROMPT + prefix]) {
                        prefix++;
                    }
                    shortestPrefix = Math.min(shortestPrefix, prefix);
                    agreeing += prefix;
                    total += a.length - PROMPT;
                }
            }
        }
        System.out.printf("%s vs float32 on the golden captioner: %d of %d generated tokens before the captions part, "
                + "shortest common start %d tokens%n", precision, agreeing, total, shortestPrefix);
        int[] bound = precision == Precision.BFLOAT16 ? BFLOAT16_CAPTION : INT8_CAPTION;
        assertTrue(shortestPrefix >= bound[0] && agreeing >= bound[1] * total / 100,
                precision + ": shortest common start " + shortestPrefix + ", " + agreeing + " of " + total + " tokens");
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "INT8"})
    void vqaGivesFloat32sAnswers(Precision precision) {
        if (precision == Precision.BFLOAT16 && !bfloat16Here()) {
            return;
        }
        Golden g = Golden.of("vqa");
        try (BlipModel full = BlipModel.load(g.hf());
                BlipModel reduced = BlipModel.builder(g.hf()).precision(precision).load()) {
            List<RgbImage> images = GoldenModels.images(full);
            for (RgbImage image : images) {
                List<Answer> want = new VisualQuestionAnswerer(full).answer(image, QUESTIONS);
                List<Answer> got = new VisualQuestionAnswerer(reduced).answer(image, QUESTIONS);
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i).tokenIds(), got.get(i).tokenIds(),
                            precision + " answer to '" + QUESTIONS.get(i) + "': '" + got.get(i).text()
                                    + "' against '" + want.get(i).text() + "'");
                }
            }
        }
    }

    private static double maxDiff(ScoreMatrix a, ScoreMatrix b) {
        double max = 0;
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < a.cols(); j++) {
                max = Math.max(max, Math.abs(a.get(i, j) - b.get(i, j)));
            }
        }
        return max;
    }
}
