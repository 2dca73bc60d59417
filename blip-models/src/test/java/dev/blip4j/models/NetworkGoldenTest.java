package dev.blip4j.models;

import static dev.blip4j.models.testing.Arrays2.floats;
import static dev.blip4j.models.testing.Arrays2.longs;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.core.text.LmLoss;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.testing.Golden;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The network against the official implementation's tensors, for every model kind and both
 * checkpoint layouts, fed the golden pixel tensors and token ids.
 */
class NetworkGoldenTest {

    private static NetworkLoader.Loaded load(Golden g, Layout layout) {
        Path path = layout == Layout.ORIGINAL ? g.original() : g.hf();
        NetworkLoader.Loaded loaded = NetworkLoader.load(ModelFiles.locate(path), null, null, DataType.FLOAT32);
        assertEquals(layout, loaded.info().layout());
        return loaded;
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void caption(Layout layout) {
        Golden g = Golden.of("caption");
        assertCaption(g, load(g, layout));
    }

    static void assertCaption(Golden g, NetworkLoader.Loaded loaded) {
        try (Blip net = loaded.network(); NDManager m = net.newManager()) {
            assertEquals(Set.of(BlipKind.CAPTION), net.config().kinds());
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            g.assertClose("image_embeds", images.toFloatArray(), 3, 17, 48);
            // the three images in three passes of the encoder, as large batches go
            NDArray passes = net.vision().forward(floats(m, g.input("pixel_values")), 1);
            g.assertClose("image_embeds", passes.toFloatArray(), 3, 17, 48);
            NDArray prompt = longs(m, g.input("decoder_prompt.input_ids")).repeat(0, 3);
            NDArray logits = net.decoderLogits(prompt, null, images, null);
            g.assertClose("prompt_logits", logits.toFloatArray(), 3, 4, 304);
            assertFirstStepsMatch(g, net, m, images);
            assertTrainingLoss(g, net, m, images);
        }
    }

    /**
     * BLIP_Decoder.forward's loss on 'a picture of ' + caption i (image i): [DEC] first, prompt and
     * padding ignored, label smoothing 0.1, mean over the batch's counted tokens.
     */
    private static void assertTrainingLoss(Golden g, Blip net, NDManager m, NDArray images) {
        var texts = g.results().getAsJsonArray("lm_loss_captions");
        long[] prompt = g.input("decoder_prompt.input_ids").toLongArray();
        long[][] rows = new long[3][];
        int longest = 0;
        for (int i = 0; i < 3; i++) {
            String caption = texts.get(i).getAsString().substring("a picture of ".length());
            long[] ids = Golden.longs(g.json().getAsJsonObject("token_ids_unpadded").getAsJsonArray(caption));
            rows[i] = java.util.stream.LongStream.concat(java.util.Arrays.stream(prompt),
                    java.util.Arrays.stream(ids, 1, ids.length)).toArray();
            longest = Math.max(longest, rows[i].length);
        }
        long[] ids = new long[3 * longest];
        long[] mask = new long[3 * longest];
        long[] labels = new long[3 * longest];
        java.util.Arrays.fill(labels, LmLoss.IGNORE);
        for (int i = 0; i < 3; i++) {
            for (int t = 0; t < rows[i].length; t++) {
                ids[i * longest + t] = rows[i][t];
                mask[i * longest + t] = 1;
                labels[i * longest + t] = t < prompt.length ? LmLoss.IGNORE : rows[i][t];
            }
        }
        var shape = new ai.djl.ndarray.types.Shape(3, longest);
        NDArray logits = net.decoderLogits(m.create(ids, shape), m.create(mask, shape), images, null);
        float loss = LmLoss.mean(logits, m.create(labels, shape), LmLoss.SMOOTHING);
        g.assertClose("lm_loss", new float[] {loss}, 1);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void captionWithInterpolatedPositions(Layout layout) {
        Golden g = Golden.of("caption_posinterp");
        assertCaptionWithInterpolatedPositions(g, load(g, layout), layout == Layout.ORIGINAL ? 32 : 64);
    }

    static void assertCaptionWithInterpolatedPositions(Golden g, NetworkLoader.Loaded loaded, int checkpointSize) {
        try (Blip net = loaded.network(); NDManager m = net.newManager()) {
            assertEquals(checkpointSize, loaded.info().checkpointImageSize());
            assertEquals(64, net.config().vision().imageSize());
            g.assertClose("pos_embed_interpolated", net.vision().posEmbed().toFloatArray(), 1, 17, 48);
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            g.assertClose("image_embeds", images.toFloatArray(), 3, 17, 48);
            NDArray prompt = longs(m, g.input("decoder_prompt.input_ids")).repeat(0, 3);
            g.assertClose("prompt_logits", net.decoderLogits(prompt, null, images, null).toFloatArray(), 3, 4, 304);
        }
    }

    /** Greedy steps 0-2 through the cached decoder: one token per step after the prompt. */
    private static void assertFirstStepsMatch(Golden g, Blip net, NDManager m, NDArray images) {
        try (DecoderSession session = net.startDecoding(images, null, 1)) {
            long[][] tokens = toRows(g.tensor("greedy.step0.input_ids").toLongArray(), 3);
            for (int step = 0; step < 3; step++) {
                float[][] logits = session.next(tokens);
                g.assertClose("greedy.step" + step + ".raw_logits", flatten(logits), 3, 304);
                long[] chosen = g.tensor("greedy.step" + step + ".next_tokens").toLongArray();
                tokens = toRows(chosen, 3);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void itm(Layout layout) {
        Golden g = Golden.of("itm");
        assertMatching(g, load(g, layout), false);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void retrieval(Layout layout) {
        Golden g = Golden.of("retrieval");
        assertMatching(g, load(g, layout), true);
    }

    static void assertMatching(Golden g, NetworkLoader.Loaded loaded, boolean encFirst) {
        try (Blip net = loaded.network(); NDManager m = net.newManager()) {
            assertEquals(Set.of(BlipKind.ITM, BlipKind.FEATURE), net.config().kinds());
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            g.assertClose("image_embeds", images.toFloatArray(), 3, 17, 48);
            NDArray ids = longs(m, g.tensor("text_input_ids"));
            NDArray mask = longs(m, g.tensor("text_attention_mask"));
            NDArray text = net.encodeText(ids, mask);
            g.assertClose("text_embeds", text.toFloatArray(), 4, 35, 32);
            NDArray imageFeat = net.imageEmbedding(images);
            NDArray textFeat = net.textEmbedding(text);
            g.assertClose("image_feat", imageFeat.toFloatArray(), 3, 16);
            g.assertClose("text_feat", textFeat.toFloatArray(), 4, 16);
            g.assertClose("itc_sim", imageFeat.matMul(textFeat.transpose()).toFloatArray(), 3, 4);

            NDArray grounded = ids.duplicate();
            if (encFirst) {
                grounded.set(new NDIndex(":, 0"), 303);
            }
            NDList states = new NDList();
            NDList logits = new NDList();
            for (int i = 0; i < 3; i++) {
                NDArray image = images.get(new NDIndex("{}:{}", i, i + 1)).repeat(0, 4);
                NDArray grounded4 = net.encodeMultimodal(grounded, mask, image, null);
                states.add(grounded4.expandDims(0));
                logits.add(net.itmLogits(grounded4).expandDims(0));
            }
            if (g.hasTensor("multimodal_embeds")) {
                g.assertClose("multimodal_embeds", NDArrays.concat(states).toFloatArray(), 3, 4, 35, 32);
            }
            NDArray itm = NDArrays.concat(logits);
            g.assertClose("itm_logits", itm.toFloatArray(), 3, 4, 2);
            g.assertClose("itm_probs", itm.softmax(-1).get(":, :, 1").toFloatArray(), 3, 4);
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void vqa(Layout layout) {
        Golden g = Golden.of("vqa");
        assertVqa(g, load(g, layout));
    }

    static void assertVqa(Golden g, NetworkLoader.Loaded loaded) {
        try (Blip net = loaded.network(); NDManager m = net.newManager()) {
            assertEquals(Set.of(BlipKind.VQA), net.config().kinds());
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            g.assertClose("image_embeds", images.toFloatArray(), 3, 17, 32);
            NDArray ids = longs(m, g.tensor("question_input_ids"));
            NDArray mask = longs(m, g.tensor("question_attention_mask"));
            NDArray questions = net.encodeMultimodal(ids, mask, images, null);
            g.assertClose("question_states", questions.toFloatArray(), 3, 10, 32);
            NDArray start = m.create(new long[] {302, 302, 302}, new ai.djl.ndarray.types.Shape(3, 1));
            NDArray logits = net.decoderLogits(start, null, questions, mask);
            g.assertClose("rank.start_logits", logits.get(":, 0, :").toFloatArray(), 3, 304);
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void featureExtractor(Layout layout) {
        Golden g = Golden.of("feature_extractor");
        assertFeatureExtractor(g, load(g, layout));
    }

    static void assertFeatureExtractor(Golden g, NetworkLoader.Loaded loaded) {
        try (Blip net = loaded.network(); NDManager m = net.newManager()) {
            assertEquals(Set.of(BlipKind.FEATURE), net.config().kinds());
            NDArray images = net.encodeImage(floats(m, g.input("pixel_values")));
            g.assertClose("image_embeds", images.toFloatArray(), 3, 17, 48);
            NDArray ids = longs(m, g.tensor("padded.input_ids"));
            NDArray mask = longs(m, g.tensor("padded.attention_mask"));
            g.assertClose("padded.text_embeds", net.encodeText(ids, mask).toFloatArray(), 4, 19, 32);
            NDArray grounded = ids.duplicate();
            grounded.set(new NDIndex(":, 0"), 303);
            NDList perImage = new NDList();
            for (int i = 0; i < 3; i++) {
                NDArray image = images.get(new NDIndex("{}:{}", i, i + 1)).repeat(0, 4);
                perImage.add(net.encodeMultimodal(grounded, mask, image, null).expandDims(0));
            }
            g.assertClose("padded.multimodal_embeds", NDArrays.concat(perImage).toFloatArray(), 3, 4, 19, 32);
        }
    }

    private static long[][] toRows(long[] flat, int rows) {
        int width = flat.length / rows;
        long[][] out = new long[rows][width];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * width, out[r], 0, width);
        }
        return out;
    }

    private static float[] flatten(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[0].length);
        }
        return out;
    }
}
