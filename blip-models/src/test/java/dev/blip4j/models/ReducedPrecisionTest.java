package dev.blip4j.models;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.CpuFeatures;
import dev.blip4j.core.InputException;
import dev.blip4j.core.Precision;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.MatchMatrix;
import dev.blip4j.models.matching.ScoreMatrix;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * bfloat16 and int8 linear layers run every task with float32 in and out and stay close to float32:
 * ITM probabilities and ITC cosines of the golden ITM model within a few hundredths, and a caption
 * of the golden captioner. Where the CPU cannot run bfloat16 natively, it is refused by name.
 */
class ReducedPrecisionTest {

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "INT8"})
    void staysCloseToFloat32(Precision precision) {
        Golden g = Golden.of("itm");
        if (precision == Precision.BFLOAT16 && !CpuFeatures.has("avx512_bf16") && !CpuFeatures.has("amx_bf16")) {
            InputException e = assertThrows(InputException.class,
                    () -> BlipModel.builder(g.hf()).precision(precision).load());
            assertTrue(e.getMessage().contains("AVX512_BF16"), e.getMessage());
            return;
        }
        try (BlipModel full = BlipModel.load(g.hf());
                BlipModel reduced = BlipModel.builder(g.hf()).precision(precision).load()) {
            List<RgbImage> images = List.of(full.readImage(Golden.image(0)), full.readImage(Golden.image(1)));
            List<String> texts = GoldenModels.captions(g);
            MatchMatrix want = new ImageTextMatcher(full).match(images, texts);
            MatchMatrix got = new ImageTextMatcher(reduced).match(images, texts);
            double itm = maxDiff(want.itm(), got.itm());
            double itc = maxDiff(want.itc(), got.itc());
            System.out.printf("%s vs float32 on the golden ITM model: ITM probability %.2g, ITC cosine %.2g%n",
                    precision, itm, itc);
            assertTrue(itm < 0.05 && itc < 0.05, precision + ": ITM " + itm + ", ITC " + itc);
            assertTrue(itm > 0 || itc > 0, "the reduced layers were used");
        }
        Golden c = Golden.of("caption");
        try (BlipModel reduced = BlipModel.builder(c.hf()).precision(precision).load()) {
            String caption = new Captioner(reduced).caption(reduced.readImage(Golden.image(1))).get(0).text();
            assertTrue(!caption.isBlank(), "a " + precision + " model still captions");
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
