package dev.blip4j.models.caption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.core.text.CrossAttentionProbe;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Grad-CAM of captions has no reference implementation, so it is checked against what it claims
 * to compute: on the tiny golden caption model cast to float64, every value of every generated
 * token's map equals {@code mean over heads of p * clamp(g, 0)} with g a central finite difference
 * of that token's log-probability in the attention probability p; and explaining a caption
 * changes neither it nor the next caption.
 */
class CaptionGradCamTest {

    private static final double EPS = 1e-6;

    @Test
    void mapsEqualCentralFiniteDifferencesInFloat64() {
        try (BlipModel model = BlipModel.builder(Golden.of("caption").hf()).dtype(DataType.FLOAT64).load()) {
            Captioner captioner = new Captioner(model, CaptionOptions.defaults()
                    .withGeneration(GenerationConfig.defaults().withGreedy().withLengths(5, 20)));
            RgbImage image = model.readImage(Golden.image(0));
            Caption caption = captioner.caption(image).get(0);
            long[] ids = caption.tokenIds();
            int prompt = captioner.promptIds().length;
            assertTrue(ids.length - prompt >= 5, "a caption of several tokens: " + Arrays.toString(ids));
            Blip net = model.network();
            for (int layer = 0; layer < net.decoderLayers(); layer++) {
                GradCam cam = captioner.gradCam(image, caption, layer);
                assertEquals(model.tokenizer().tokens(Arrays.copyOfRange(ids, prompt, ids.length)), cam.tokens());
                double largest = 0;
                double worst = 0;
                try (NDManager m = net.newManager()) {
                    NDArray states = net.encodeImage(model.pixels(List.of(image), m)).toType(DataType.FLOAT64, false);
                    for (int k = 0; k < cam.tokens().size(); k++) {
                        double[] want = finiteDifferenceMap(net, m, states, ids, prompt + k, layer);
                        float[] got = cam.tokenMap(k);
                        for (int i = 0; i < want.length; i++) {
                            largest = Math.max(largest, Math.abs(want[i]));
                            worst = Math.max(worst, Math.abs(got[i] - want[i]));
                        }
                        for (int i = 0; i < want.length; i++) {
                            // float32 logits/log-softmax in the production path, float32 maps out: ~1e-7 relative
                            assertEquals(want[i], got[i], 1e-9 + 1e-5 * Math.abs(want[i]) + 1e-6 * largestOf(want),
                                    "layer " + layer + " token " + k + " (" + cam.tokens().get(k) + ") patch " + i);
                        }
                    }
                }
                assertTrue(largest > 1e-3, "maps that are not all zero: " + largest);
                System.out.printf("caption grad-cam layer %d: %d tokens, max |map| %.3g, max |autograd - finite "
                        + "difference| %.3g%n", layer, cam.tokens().size(), largest, worst);
            }
        }
    }

    @Test
    void explainingACaptionChangesNeitherItNorTheNextCaption() {
        try (BlipModel model = BlipModel.load(Golden.of("caption").hf())) {
            Captioner captioner = new Captioner(model);
            List<RgbImage> images = List.of(model.readImage(Golden.image(1)), model.readImage(Golden.image(2)));
            List<List<Caption>> before = captioner.caption(images);
            for (int i = 0; i < images.size(); i++) {
                Caption c = before.get(i).get(0);
                long[] ids = c.tokenIds();
                GradCam cam = captioner.gradCam(images.get(i), c);
                assertEquals(captioner.defaultGradCamLayer(), cam.layer());
                assertEquals(ids.length - captioner.promptIds().length, cam.tokens().size());
                assertArrayEquals(ids, c.tokenIds(), "the caption object is untouched");
                int sep = cam.tokens().indexOf("[SEP]");
                assertTrue(Arrays.stream(cam.words()).noneMatch(w -> w == sep), "[SEP] is not a word");
            }
            List<List<Caption>> after = captioner.caption(images);
            for (int i = 0; i < images.size(); i++) {
                assertArrayEquals(before.get(i).get(0).tokenIds(), after.get(i).get(0).tokenIds());
                assertEquals(before.get(i).get(0).score(), after.get(i).get(0).score(), 0.0, "bit for bit");
            }
            Caption foreign = new Caption("x", new long[] {model.tokenizer().decId(), 47, 3}, 0);
            InputException e = assertThrows(InputException.class, () -> captioner.gradCam(images.get(0), foreign));
            assertTrue(e.getMessage().contains("does not start with this captioner's prompt"), e.getMessage());
            assertThrows(InputException.class, () -> captioner.gradCam(images.get(0), before.get(0).get(0), 2));
        }
    }

    /**
     * Map of the token at {@code target}, predicted at position {@code target - 1}: per patch, the
     * heads' mean of p times the clamped central difference of its log-probability in p. Every
     * nudge (sign, head, patch) is a row of one batch, so that one forward pass does them all.
     */
    private static double[] finiteDifferenceMap(Blip net, NDManager m, NDArray states, long[] ids, int target,
            int layer) {
        int position = target - 1;
        int heads = net.config().text().heads();
        int tokens = Math.toIntExact(states.getShape().get(1));
        int rows = 2 * heads * tokens;
        long[] prefix = new long[rows * target];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(ids, 0, prefix, r * target, target);
        }
        // row (sign, h, n) adds +-EPS to the probability of head h, this position, memory token n
        double[] delta = new double[rows * heads * target * tokens];
        for (int r = 0; r < rows; r++) {
            int h = r / tokens % heads;
            int n = r % tokens;
            delta[((r * heads + h) * target + position) * tokens + n] = r < rows / 2 ? EPS : -EPS;
        }
        NDArray nudges = m.create(delta, new Shape(rows, heads, target, tokens));
        NDArray[] seen = new NDArray[1];
        double[] logProbs = logProbs(net, m.create(prefix, new Shape(rows, target)), states.repeat(0, rows),
                new CrossAttentionProbe(layer, p -> {
                    seen[0] = p.get("0, :, {}, :", position).duplicate();
                    NDScope.unregister(seen[0]);
                    seen[0].attach(m);
                    return p.add(nudges);
                }), ids[target]);
        double[] p = seen[0].toDoubleArray();
        double[] map = new double[tokens - 1];
        for (int n = 1; n < tokens; n++) {
            double sum = 0;
            for (int h = 0; h < heads; h++) {
                double up = logProbs[h * tokens + n];
                double down = logProbs[rows / 2 + h * tokens + n];
                sum += p[h * tokens + n] * Math.max(0, (up - down) / (2 * EPS));
            }
            map[n - 1] = sum / heads;
        }
        return map;
    }

    /**
     * Per row, the float64 log-probability of {@code token} after the row's ids. Inside
     * {@code withGradients} Blip leaves results in the weights' type (float64), which the differences
     * need; nothing here requires a gradient, so nothing is recorded.
     */
    private static double[] logProbs(Blip net, NDArray ids, NDArray states, CrossAttentionProbe probe, long token) {
        return BlipEngine.withGradients(gradients -> {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray logits = net.decoderLogits(ids, null, states, null, probe);
                return logits.get(":, -1, :").logSoftmax(1).get(":, {}", token).toDoubleArray();
            }
        });
    }

    private static double largestOf(double[] values) {
        return Arrays.stream(values).map(Math::abs).max().orElse(0);
    }
}
