package dev.blip4j.models.blip2;

import static dev.blip4j.models.testing.Arrays2.floats;
import static dev.blip4j.models.testing.Arrays2.longs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.blip2.Blip2;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.testing.Golden;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * BLIP-2's first stage against LAVIS's own tensors ({@code golden/blip2}): the EVA ViT with
 * {@code ln_vision}, the Q-Former in its three modes, and the ITC and ITM heads, fed the golden
 * pixels and token ids.
 */
class Blip2NetworkGoldenTest {

    static final Golden G = Golden.of("blip2");

    static NetworkLoader.Loaded load() {
        NetworkLoader.Loaded loaded = NetworkLoader.load(ModelFiles.locate(G.original()), null, null, DataType.FLOAT32);
        assertNull(loaded.network());
        assertEquals(Layout.ORIGINAL, loaded.info().layout());
        return loaded;
    }

    @Test
    void everyGoldenTensor() {
        NetworkLoader.Loaded loaded = load();
        assertEveryTensor(loaded.blip2());
        loaded.close();
    }

    /** Every tensor of {@code blip2/expected.safetensors} from a loaded network (either layout). */
    static void assertEveryTensor(Blip2 net) {
        try (NDManager m = net.newManager()) {
            assertEquals(4, net.config().queries());
            assertEquals(List.of(0, 2), net.config().crossAttentionLayers());
            NDArray images = net.encodeImage(floats(m, G.input("pixel_values")));
            G.assertClose("image_embeds", images.toFloatArray(), 3, 17, 48);

            NDArray queries = net.encodeQueries(images);
            G.assertClose("query_embeds", queries.toFloatArray(), 3, 4, 32);
            NDArray queryFeats = net.queryEmbeddings(queries);
            G.assertClose("query_feats", queryFeats.toFloatArray(), 3, 4, 16);

            NDArray ids = longs(m, G.input("captions.input_ids"));
            NDArray mask = longs(m, G.input("captions.attention_mask"));
            NDArray text = net.encodeText(ids, mask);
            G.assertClose("text_embeds", text.toFloatArray(), 4, 19, 32);
            G.assertClose("text_feats", net.textEmbeddings(text).toFloatArray(), 4, 19, 16);

            NDList multimodal = new NDList();
            for (int i = 0; i < 3; i++) {
                NDArray image = images.get(new NDIndex("{}:{}", i, i + 1));
                multimodal.add(net.encodeMultimodal(ids, mask, image).expandDims(0));
            }
            G.assertClose("multimodal_embeds", NDArrays.concat(multimodal).toFloatArray(), 3, 4, 4, 32);

            // ITM and ITC as Blip2ITM.forward: each caption alone, unpadded.
            NDList logits = new NDList();
            NDList textFeats = new NDList();
            long[][] rows = unpadded(G, ids);
            for (long[] row : rows) {
                NDArray one = m.create(row, new Shape(1, row.length));
                textFeats.add(net.textEmbedding(net.encodeText(one, null)));
            }
            for (int i = 0; i < 3; i++) {
                NDArray image = images.get(new NDIndex("{}:{}", i, i + 1));
                for (long[] row : rows) {
                    NDArray one = m.create(row, new Shape(1, row.length));
                    logits.add(net.itmLogits(net.encodeMultimodal(one, null, image)));
                }
            }
            NDArray itm = NDArrays.concat(logits).reshape(3, 4, 2);
            G.assertClose("itm_logits", itm.toFloatArray(), 3, 4, 2);
            G.assertClose("itm_probs", itm.softmax(-1).get(":, :, 1").toFloatArray(), 3, 4);
            G.assertClose("itc_sim", ImageTextNetwork.itc(queryFeats, NDArrays.concat(textFeats)).toFloatArray(), 3, 4);
        }
    }

    /** The golden captions' ids without padding. */
    static long[][] unpadded(Golden g, NDArray paddedIds) {
        long[] mask = g.input("captions.attention_mask").toLongArray();
        long[] ids = paddedIds.toLongArray();
        int width = (int) paddedIds.getShape().get(1);
        long[][] out = new long[(int) paddedIds.getShape().get(0)][];
        for (int r = 0; r < out.length; r++) {
            int n = 0;
            while (n < width && mask[r * width + n] == 1) {
                n++;
            }
            out[r] = java.util.Arrays.copyOfRange(ids, r * width, r * width + n);
        }
        return out;
    }
}
