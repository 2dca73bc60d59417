package dev.blip4j.models;

import static dev.blip4j.models.testing.Arrays2.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.blip4j.core.Blip;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.core.generate.Generator;
import dev.blip4j.core.generate.SearchListener;
import dev.blip4j.core.generate.Sequence;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.testing.Golden;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Greedy and beam search against {@code model.generate} of the official code (transformers 4.15):
 * exact token ids, beam scores, and the first steps' scores and beam bookkeeping.
 */
public class GenerationGoldenTest {

    public static Stream<Arguments> captionCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Layout layout : Layout.values()) {
            for (String c : List.of("greedy", "beam", "greedy_rep", "beam_rep", "greedy_minlen", "beam_minlen")) {
                cases.add(Arguments.of("caption", c, layout));
            }
            cases.add(Arguments.of("caption_posinterp", "greedy", layout));
            cases.add(Arguments.of("caption_posinterp", "beam", layout));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}/{1} {2}")
    @MethodSource("captionCases")
    void captionGeneration(String kind, String name, Layout layout) {
        Golden g = Golden.of(kind);
        JsonObject result = g.results().getAsJsonObject(name);
        GenerationConfig config = configFromCall(result.get("call").getAsString(), 20);
        try (Blip net = load(g, layout); NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            long[] prompt = g.input("decoder_prompt.input_ids").toLongArray();
            Recorder recorder = new Recorder();
            List<List<Sequence>> out;
            try (DecoderSession session = net.startDecoding(images, null, config.rowsPerInput())) {
                out = Generator.generate(session, prompt, 3, config, 3, 0, null, recorder);
            }
            assertSequences(g, name, result, out, config);
            recorder.assertSteps(g, name, config.numBeams() > 1);
        }
    }

    @ParameterizedTest(name = "vqa generate {0}")
    @org.junit.jupiter.params.provider.EnumSource(Layout.class)
    void vqaGeneration(Layout layout) {
        Golden g = Golden.of("vqa");
        JsonObject result = g.results().getAsJsonObject("generate");
        GenerationConfig config = GenerationConfig.defaults().withNumBeams(3).withLengths(1, 10);
        try (Blip net = load(g, layout); NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            NDArray ids = dev.blip4j.models.testing.Arrays2.longs(m, g.tensor("question_input_ids"));
            NDArray mask = dev.blip4j.models.testing.Arrays2.longs(m, g.tensor("question_attention_mask"));
            NDArray questions = net.encodeMultimodal(ids, mask, images, null);
            Recorder recorder = new Recorder();
            List<List<Sequence>> out;
            try (DecoderSession session = net.startDecoding(questions, null, 3)) {
                out = Generator.generate(session, new long[] {302}, 3, config, 3, 0, null, recorder);
            }
            assertSequences(g, "generate", result, out, config);
            recorder.assertSteps(g, "generate", true);
        }
    }

    private static void assertSequences(Golden g, String name, JsonObject result, List<List<Sequence>> out,
            GenerationConfig config) {
        JsonArray expected = result.getAsJsonArray("sequences");
        float[] scores = new float[out.size()];
        for (int i = 0; i < out.size(); i++) {
            long[] want = stripPadding(Golden.longs(expected.get(i).getAsJsonArray()));
            long[] got = out.get(i).get(0).ids();
            assertArrayEquals(want, got, name + " image " + i + ": got " + Arrays.toString(got));
            scores[i] = (float) out.get(i).get(0).score();
        }
        if (config.numBeams() > 1) {
            g.assertClose(name + ".sequence_scores", scores, out.size());
        }
    }

    /** Golden sequences are padded with [PAD] = 0 to the batch's longest. */
    private static long[] stripPadding(long[] ids) {
        int n = ids.length;
        while (n > 0 && ids[n - 1] == 0) {
            n--;
        }
        return Arrays.copyOf(ids, n);
    }

    /** The settings written in a golden's {@code call}, e.g. {@code num_beams=3, max_length=20, ...}. */
    public static GenerationConfig configFromCall(String call, int maxLength) {
        return GenerationConfig.defaults()
                .withNumBeams(intArg(call, "num_beams"))
                .withLengths(intArg(call, "min_length"), maxLength)
                .withRepetitionPenalty(Float.parseFloat(arg(call, "repetition_penalty")));
    }

    private static int intArg(String call, String key) {
        return Integer.parseInt(arg(call, key));
    }

    private static String arg(String call, String key) {
        int at = call.indexOf(key + "=");
        String rest = call.substring(at + key.length() + 1);
        return rest.split("[,)]")[0].trim();
    }

    private static Blip load(Golden g, Layout layout) {
        return NetworkLoader.load(ModelFiles.locate(layout == Layout.ORIGINAL ? g.original() : g.hf()), null, null,
                DataType.FLOAT32).network();
    }

    /** Keeps the first three steps of a search. */
    private static final class Recorder implements SearchListener {
        final List<float[][]> raw = new ArrayList<>();
        final List<float[][]> scores = new ArrayList<>();
        final List<long[][]> inputs = new ArrayList<>();
        final List<Object[]> beamSteps = new ArrayList<>();

        @Override
        public void onScores(int step, long[][] sequences, float[][] rawLogits, float[][] s) {
            if (step < 3) {
                raw.add(rawLogits);
                scores.add(s);
                inputs.add(sequences.clone());
            }
        }

        @Override
        public void onBeamStep(int step, float[][] topScores, int[][] topBeams, long[][] topTokens,
                float[] nextScores, long[] nextTokens, int[] nextRows) {
            if (step < 3) {
                beamSteps.add(new Object[] {topScores, topBeams, topTokens, nextScores, nextTokens, nextRows});
            }
        }

        void assertSteps(Golden g, String name, boolean beam) {
            for (int step = 0; step < 3; step++) {
                String p = name + ".step" + step + ".";
                if (!g.hasTensor(p + "raw_logits")) {
                    continue;
                }
                int rows = raw.get(step).length;
                g.assertIds(p + "input_ids", flat(inputs.get(step)));
                g.assertClose(p + "raw_logits", flat(raw.get(step)));
                g.assertClose(p + "scores", flat(scores.get(step)));
                if (!beam) {
                    long[] chosen = new long[rows];
                    for (int r = 0; r < rows; r++) {
                        boolean ended = Arrays.stream(inputs.get(step)[r]).anyMatch(t -> t == 3);
                        chosen[r] = ended ? 0 : argmax(scores.get(step)[r]);
                    }
                    g.assertIds(p + "next_tokens", chosen);
                    continue;
                }
                Object[] b = beamSteps.get(step);
                if (g.hasTensor(p + "topk_scores")) {
                    g.assertClose(p + "topk_scores", flat((float[][]) b[0]));
                    g.assertIds(p + "topk_beam_indices", flat((int[][]) b[1]));
                    g.assertIds(p + "topk_tokens", flat((long[][]) b[2]));
                }
                g.assertClose(p + "next_beam_scores", (float[]) b[3]);
                g.assertIds(p + "next_beam_tokens", (long[]) b[4]);
                g.assertIds(p + "next_beam_indices", Arrays.stream((int[]) b[5]).asLongStream().toArray());
            }
        }

        private static long argmax(float[] s) {
            int best = 0;
            for (int i = 1; i < s.length; i++) {
                if (s[i] > s[best]) {
                    best = i;
                }
            }
            return best;
        }

        private static float[] flat(float[][] a) {
            float[] out = new float[a.length * a[0].length];
            for (int i = 0; i < a.length; i++) {
                System.arraycopy(a[i], 0, out, i * a[0].length, a[0].length);
            }
            return out;
        }

        private static long[] flat(long[][] a) {
            return Arrays.stream(a).flatMapToLong(Arrays::stream).toArray();
        }

        private static long[] flat(int[][] a) {
            return Arrays.stream(a).flatMapToInt(Arrays::stream).asLongStream().toArray();
        }
    }
}
