package dev.blip4j.models.nlvr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.config.ConfigFiles;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.testing.Arrays2;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * NLVR2 against the official {@code BLIP_NLVR} on the tiny golden model (8 text layers, so that
 * layers 0-5 average the two images' cross-attention outputs and 6-7 merge them): the twinned
 * states, the logits and probabilities of all 3 pairs x 4 captions, and the exact predictions.
 */
class NlvrGoldenTest {

    private static final int[][] PAIRS = {{0, 1}, {1, 2}, {2, 0}};

    private static Golden g;
    private static BlipModel model;

    @BeforeAll
    static void load() {
        g = Golden.of("nlvr");
        model = GoldenModels.load(g, Layout.ORIGINAL);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /**
     * Which layers merge is read from the checkpoint, not fixed at 6: the same weights without
     * layer 6's {@code merge_layer} load as a model that averages there, and its logits leave the golden.
     */
    @Test
    void mergingStartsWhereTheCheckpointHasMergeLayers() {
        assertEquals(Set.of(BlipKind.NLVR), model.info().config().kinds());
        Map<String, TensorData> raw = new LinkedHashMap<>(NetworkLoader.readTensors(ModelFiles.locate(g.original())));
        assertTrue(raw.keySet().removeIf(k -> k.startsWith("text_encoder.encoder.layer.6.crossattention.output.merge_layer.")));
        NetworkLoader.Loaded averaging = NetworkLoader.load(g.original(), raw, 0, Layout.ORIGINAL,
                ConfigFiles.original(g.original().getParent()), null, null, DataType.FLOAT32);
        try (Blip net = averaging.network(); NDManager m = net.newManager()) {
            NDArray states = net.encodeImage(Arrays2.floats(m, g.input("pixel_values")));
            NDArray ids = Arrays2.longs(m, g.input("captions.input_ids"));
            ids.set(new NDIndex(":, 0"), model.tokenizer().encId());
            NDArray mask = Arrays2.longs(m, g.input("captions.attention_mask"));
            float[] logits = net.nlvrLogits(net.encodeMultimodalPair(ids, mask, states.get("0:1"), states.get("1:2")))
                    .toFloatArray();
            float[] golden = g.tensor("nlvr_logits").toFloatArray();
            double diff = 0;
            for (int i = 0; i < logits.length; i++) {
                diff = Math.max(diff, Math.abs(logits[i] - golden[i]));
            }
            assertTrue(diff > 1e-2, "averaging in layer 6 changed nothing: " + diff);
        }
    }

    /** From the golden pixels and token ids: image states, twinned text states, logits, probabilities. */
    @Test
    void networkMatchesTheOfficialStatesAndLogits() {
        Blip net = model.network();
        try (NDManager m = net.newManager()) {
            NDArray states = net.encodeImage(Arrays2.floats(m, g.input("pixel_values")));
            g.assertClose("image_embeds", states.toFloatArray(), 3, 17, 48);
            NDArray ids = Arrays2.longs(m, g.input("captions.input_ids"));
            ids.set(new NDIndex(":, 0"), model.tokenizer().encId());
            NDArray mask = Arrays2.longs(m, g.input("captions.attention_mask"));
            NDList hidden = new NDList();
            NDList logits = new NDList();
            for (int[] pair : PAIRS) {
                NDArray first = states.get(new NDIndex("{}:{}", pair[0], pair[0] + 1)).repeat(0, 4);
                NDArray second = states.get(new NDIndex("{}:{}", pair[1], pair[1] + 1)).repeat(0, 4);
                NDArray h = net.encodeMultimodalPair(ids, mask, first, second);
                hidden.add(h);
                logits.add(net.nlvrLogits(h));
            }
            g.assertClose("multimodal_embeds", NDArrays.stack(hidden).toFloatArray(), 3, 4, 19, 32);
            NDArray all = NDArrays.stack(logits);
            g.assertClose("nlvr_logits", all.toFloatArray(), 3, 4, 2);
            g.assertClose("nlvr_probs", all.softmax(-1).get(":, :, 1").toFloatArray(), 3, 4);
        }
    }

    /** The classifier from the PNG files, one pair at a time and all rows together in uneven batches. */
    @Test
    void classifierFromPngsGivesTheGoldenVerdicts() {
        List<String> captions = GoldenModels.captions(g);
        List<RgbImage> images = List.of(model.readImage(Golden.image(0)), model.readImage(Golden.image(1)),
                model.readImage(Golden.image(2)));
        NlvrClassifier classifier = new NlvrClassifier(model);
        List<NlvrResult> perPair = new ArrayList<>();
        List<NlvrQuery> rows = new ArrayList<>();
        for (int[] pair : PAIRS) {
            perPair.addAll(classifier.classify(images.get(pair[0]), images.get(pair[1]), captions));
            captions.forEach(c -> rows.add(new NlvrQuery(images.get(pair[0]), images.get(pair[1]), c)));
        }
        assertGolden(perPair, "one pair at a time");
        // the rows shuffled, in batches of 5 texts and 2 images: the same verdicts, in row order
        List<Integer> order = new ArrayList<>(IntStream.range(0, rows.size()).boxed().toList());
        Collections.shuffle(order, new java.util.Random(7));
        List<NlvrResult> shuffled = new NlvrClassifier(model, new NlvrOptions(2, 5))
                .classify(order.stream().map(rows::get).toList());
        NlvrResult[] back = new NlvrResult[rows.size()];
        for (int i = 0; i < order.size(); i++) {
            back[order.get(i)] = shuffled.get(i);
            assertEquals(rows.get(order.get(i)).text(), shuffled.get(i).text());
        }
        assertGolden(List.of(back), "shuffled rows in batches");
    }

    private static void assertGolden(List<NlvrResult> got, String how) {
        assertEquals(12, got.size());
        float[] logits = new float[24];
        float[] probs = new float[12];
        JsonArray predictions = g.results().getAsJsonArray("prediction");
        for (int i = 0; i < 12; i++) {
            NlvrResult r = got.get(i);
            logits[2 * i] = (float) r.falseLogit();
            logits[2 * i + 1] = (float) r.trueLogit();
            probs[i] = (float) r.probability();
            boolean want = predictions.get(i / 4).getAsJsonArray().get(i % 4).getAsInt() == 1;
            assertEquals(want, r.prediction(), how + ": prediction of row " + i);
        }
        System.out.println("NLVR2 " + how + ":");
        g.assertClose("nlvr_logits", logits, 3, 4, 2);
        g.assertClose("nlvr_probs", probs, 3, 4);
    }

    @Test
    void otherTasksRefuseAnNlvrCheckpointAndTheOtherWayRound() {
        ModelException caption = assertThrows(ModelException.class, () -> new Captioner(model));
        assertTrue(caption.getMessage().contains("no text decoder"), caption.getMessage());
        ModelException itm = assertThrows(ModelException.class, () -> new ImageTextMatcher(model));
        assertTrue(itm.getMessage().contains("image-text matching needs"), itm.getMessage());
        try (BlipModel itmModel = GoldenModels.load(Golden.of("itm"), Layout.HUGGINGFACE)) {
            ModelException e = assertThrows(ModelException.class, () -> new NlvrClassifier(itmModel));
            assertTrue(e.getMessage().contains("NLVR2 needs a BLIP_NLVR checkpoint"), e.getMessage());
            // one memory given to a twinned stack, two to a single one: refused by name
            try (NDManager m = model.network().newManager()) {
                NDArray ids = m.create(new long[][] {{model.tokenizer().encId(), 47, 3}});
                NDArray image = m.zeros(new ai.djl.ndarray.types.Shape(1, 17, 48));
                ModelException one = assertThrows(ModelException.class,
                        () -> model.network().encodeMultimodal(ids, null, image, null));
                assertTrue(one.getMessage().contains("attends to 2 image(s) per text (NLVR2), not 1"), one.getMessage());
                ModelException two = assertThrows(ModelException.class,
                        () -> itmModel.network().encodeMultimodalPair(ids, null, image, image));
                assertTrue(two.getMessage().contains("attends to 1 image(s) per text, not 2"), two.getMessage());
            }
        }
        assertThrows(InputException.class, () -> new NlvrClassifier(model).classify(List.of(
                new NlvrQuery(null, model.readImage(Golden.image(0)), "a cat"))));
    }
}
