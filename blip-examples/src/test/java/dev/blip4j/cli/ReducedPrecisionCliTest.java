package dev.blip4j.cli;

import static dev.blip4j.cli.MatchingCliTest.GOLDEN;
import static dev.blip4j.cli.MatchingCliTest.blip;
import static dev.blip4j.cli.MatchingCliTest.golden;
import static dev.blip4j.cli.MatchingCliTest.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.blip4j.cli.MatchingCliTest.Run;
import dev.blip4j.core.CpuFeatures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code blip itm --dtype bfloat16} and {@code --quantize int8} on the golden ITM model give the
 * official float32 ITM probabilities and ITC cosines within the tolerances of
 * {@code ReducedPrecisionTest} (0.01 for bfloat16, 0.05 for int8); bfloat16 where the CPU lacks it,
 * and options that cannot go together, end in one error line.
 */
class ReducedPrecisionCliTest {

    @Test
    void bfloat16() throws IOException {
        if (!CpuFeatures.has("avx512_bf16") && !CpuFeatures.has("amx_bf16")) {
            CliRun r = CliRun.of(itm(0, "--dtype", "bfloat16"));
            CliRun.assertOneLineError(r, 4, "AVX512_BF16");
            return;
        }
        double[] max = agreement(0.01, "--dtype", "bfloat16");
        System.out.printf("blip itm --dtype bfloat16: itm max |err| %.3g, itc %.3g vs the goldens%n", max[0], max[1]);
    }

    @Test
    void int8() throws IOException {
        double[] max = agreement(0.05, "--quantize", "int8");
        System.out.printf("blip itm --quantize int8: itm max |err| %.3g, itc %.3g vs the goldens%n", max[0], max[1]);
        assertTrue(max[0] > 0 || max[1] > 0, "int8 layers were used");
    }

    @Test
    void impossibleCombinationsAreUsageErrors() throws IOException {
        CliRun.assertOneLineError(CliRun.of(itm(0, "--quantize", "int8", "--dtype", "float16")), 2, "--quantize int8");
        CliRun.assertOneLineError(CliRun.of(itm(0, "--quantize", "int4")), 2, "--quantize must be int8");
    }

    private static double[] agreement(double tolerance, String... precision) throws IOException {
        List<String> captions = MatchingCliTest.captions();
        float[] probs = golden("itm", "itm_probs");
        float[] sims = golden("itm", "itc_sim");
        double[] max = new double[2];
        for (int i = 0; i < 3; i++) {
            Run r = blip(itm(i, precision).toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonArray rows = r.json().getAsJsonArray();
            for (int j = 0; j < captions.size(); j++) {
                JsonObject row = rows.get(j).getAsJsonObject();
                max[0] = Math.max(max[0], Math.abs(probs[i * 4 + j] - row.get("itm").getAsDouble()));
                max[1] = Math.max(max[1], Math.abs(sims[i * 4 + j] - row.get("itc").getAsDouble()));
            }
        }
        assertTrue(max[0] < tolerance && max[1] < tolerance, String.join(" ", precision) + ": itm " + max[0]
                + ", itc " + max[1]);
        return max;
    }

    private static List<String> itm(int image, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("itm", "--model", GOLDEN.resolve("itm/hf").toString(),
                "--image", image(image), "--json"));
        args.addAll(List.of(extra));
        MatchingCliTest.captions().forEach(c -> args.addAll(List.of("--text", c)));
        return args;
    }
}
