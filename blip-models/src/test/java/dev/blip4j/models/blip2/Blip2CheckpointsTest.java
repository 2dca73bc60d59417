package dev.blip4j.models.blip2;

import static dev.blip4j.models.testing.Arrays2.floats;
import static dev.blip4j.models.testing.Arrays2.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.blip2.Blip2;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Blip2Files;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.checkpoint.TorchCheckpoint;
import dev.blip4j.models.checkpoint.TorchCheckpointWriter;
import dev.blip4j.models.config.ConfigFiles;
import dev.blip4j.models.convert.BlipConverter;
import dev.blip4j.models.convert.HfConversion;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.LavisSplit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BLIP-2's checkpoint forms: LAVIS's merged file, LAVIS's two files (the Q-Former checkpoint and
 * {@code eva_vit_g.pth}), and the HF layout {@code blip convert} writes, which loads back to
 * bit-identical outputs. No HF-layout golden exists; the HF side is checked through the round trip.
 */
class Blip2CheckpointsTest {

    static final Golden G = Blip2NetworkGoldenTest.G;

    @TempDir
    Path tmp;

    /** Every output the golden checks, as float arrays, for bitwise comparison. */
    private static List<float[]> outputs(Blip2 net) {
        try (NDManager m = net.newManager()) {
            NDArray images = net.encodeImage(floats(m, G.input("pixel_values")));
            NDArray queries = net.encodeQueries(images);
            NDArray ids = longs(m, G.input("captions.input_ids"));
            NDArray mask = longs(m, G.input("captions.attention_mask"));
            NDArray text = net.encodeText(ids, mask);
            NDArray image0 = images.get("0:1");
            NDArray multimodal = net.encodeMultimodal(ids, mask, image0);
            return List.of(images.toFloatArray(), queries.toFloatArray(), net.queryEmbeddings(queries).toFloatArray(),
                    text.toFloatArray(), net.textEmbeddings(text).toFloatArray(), multimodal.toFloatArray(),
                    net.itmLogits(multimodal).toFloatArray());
        }
    }

    private static List<float[]> outputs(Path path) {
        NetworkLoader.Loaded loaded = NetworkLoader.load(ModelFiles.locate(path), null, null, DataType.FLOAT32);
        try {
            return outputs(loaded.blip2());
        } finally {
            loaded.close();
        }
    }

    private static void assertBitIdentical(List<float[]> want, List<float[]> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i), got.get(i), "output " + i);
        }
    }

    @Test
    void convertedToHfLoadsBackBitIdentical() throws IOException {
        HfConversion c = BlipConverter.convert(G.original(), Golden.root().resolve("tokenizer/vocab.txt"), null, null,
                tmp.resolve("hf"));
        assertEquals(List.of("Blip2ForImageTextRetrieval"), c.architectures());
        Map<String, TensorData> hf = SafeTensors.read(c.out().resolve("model.safetensors")).tensors();
        // transformers' names; EVA's q/v biases fused with zeros for the keys; temp and the LM head dropped.
        assertTrue(hf.containsKey("vision_model.encoder.layers.1.self_attn.qkv.bias"));
        assertTrue(hf.containsKey("qformer.encoder.layer.2.crossattention.attention.key.weight"));
        assertTrue(hf.containsKey("qformer.encoder.layer.3.output_query.LayerNorm.bias"));
        assertTrue(hf.containsKey("qformer.layernorm.weight"));
        assertTrue(hf.containsKey("embeddings.word_embeddings.weight"));
        assertTrue(hf.containsKey("vision_model.post_layernorm.weight"));
        assertTrue(hf.containsKey("vision_projection.weight"));
        assertTrue(hf.containsKey("query_tokens"));
        assertFalse(hf.keySet().stream().anyMatch(k -> k.contains("q_bias") || k.startsWith("Qformer") || k.equals("temp")
                || k.contains("position_ids") || k.contains("cls.")), hf.keySet().toString());
        Map<String, TensorData> lavis = TorchCheckpoint.read(G.original()).tensors();
        float[] fused = hf.get("vision_model.encoder.layers.1.self_attn.qkv.bias").toFloatArray();
        float[] q = lavis.get("visual_encoder.blocks.1.attn.q_bias").toFloatArray();
        float[] v = lavis.get("visual_encoder.blocks.1.attn.v_bias").toFloatArray();
        assertArrayEquals(q, java.util.Arrays.copyOfRange(fused, 0, 48));
        assertArrayEquals(new float[48], java.util.Arrays.copyOfRange(fused, 48, 96));
        assertArrayEquals(v, java.util.Arrays.copyOfRange(fused, 96, 144));

        JsonObject config = ConfigFiles.read(c.out().resolve("config.json"));
        assertEquals("blip-2", config.get("model_type").getAsString());
        assertEquals(4, config.get("num_query_tokens").getAsInt());
        assertEquals(2, config.getAsJsonObject("qformer_config").get("cross_attention_frequency").getAsInt());
        assertEquals(2, config.getAsJsonObject("vision_config").get("num_attention_heads").getAsInt());

        NetworkLoader.Loaded loaded = NetworkLoader.load(ModelFiles.locate(c.out()), null, null, DataType.FLOAT32);
        try {
            assertEquals(Layout.HUGGINGFACE, loaded.info().layout());
            assertBitIdentical(outputs(G.original()), outputs(loaded.blip2()));
            Blip2NetworkGoldenTest.assertEveryTensor(loaded.blip2());
        } finally {
            loaded.close();
        }
        try (BlipModel model = BlipModel.load(c.out())) {
            assertTrue(model.isBlip2());
            assertEquals(303, model.tokenizer().vocabSize());
            assertFalse(model.tokenizer().hasEnc());
        }
    }

    /**
     * LAVIS's pre-trained checkpoint leaves the frozen ViT to {@code eva_vit_g.pth}; its blocks past
     * the depth LAVIS builds, and an EVA-CLIP tower's own norm and head, are not loaded (LAVIS's
     * {@code load_state_dict(strict=False)} skips them).
     */
    @Test
    void twoFilesAsLavisShipsThem() throws IOException {
        Map<String, TensorData> all = TorchCheckpoint.read(G.original()).tensors();
        LavisSplit split = LavisSplit.of(all);
        Map<String, TensorData> qformer = split.qformer();
        Map<String, TensorData> vit = split.vit();
        all.forEach((k, t) -> {
            if (k.startsWith("visual_encoder.blocks.1.")) {
                vit.put(k.substring("visual_encoder.".length()).replace("blocks.1.", "blocks.2."), t);
            }
        });
        vit.put("norm.weight", all.get("ln_vision.weight"));
        vit.put("norm.bias", all.get("ln_vision.bias"));
        Path dir = Files.createDirectories(tmp.resolve("lavis"));
        TorchCheckpointWriter.write(dir.resolve("blip2_pretrained.pth"), qformer, TorchCheckpointWriter.Layout.BLIP_MODEL);
        Files.copy(G.original().resolveSibling("blip2_config.json"), dir.resolve("blip2_config.json"));

        ModelException missing = assertThrows(ModelException.class, () -> outputs(dir));
        assertTrue(missing.getMessage().contains("eva_vit_g.pth"), missing.getMessage());

        TorchCheckpointWriter.write(dir.resolve(Blip2Files.EVA_VIT_G), vit, TorchCheckpointWriter.Layout.STATE_DICT);
        assertEquals(dir.resolve("blip2_pretrained.pth"), ModelFiles.locate(dir).weights());
        assertBitIdentical(outputs(G.original()), outputs(dir));
        NetworkLoader.Loaded loaded = NetworkLoader.load(ModelFiles.locate(dir), null, null, DataType.FLOAT32);
        try {
            assertEquals(2, loaded.info().blip2().vision().depth());
            assertTrue(loaded.info().ignoredKeys() >= 12 + 2, "ignored " + loaded.info().ignoredKeys());
        } finally {
            loaded.close();
        }
    }

    @Test
    void unknownTensorsAreRefusedByName() throws IOException {
        Map<String, TensorData> all = new LinkedHashMap<>(TorchCheckpoint.read(G.original()).tensors());
        all.put("Qformer.bert.encoder.layer.1.crossattention.gate", all.get("temp"));
        Path dir = Files.createDirectories(tmp.resolve("extra"));
        TorchCheckpointWriter.write(dir.resolve("model.pth"), all, TorchCheckpointWriter.Layout.BLIP_MODEL);
        Files.copy(G.original().resolveSibling("blip2_config.json"), dir.resolve("blip2_config.json"));
        ModelException e = assertThrows(ModelException.class, () -> outputs(dir));
        assertTrue(e.getMessage().contains("Qformer.bert.encoder.layer.1.crossattention.gate"), e.getMessage());
    }

    /** Head counts are not in the shapes: without blip2_config.json a non-released width is refused. */
    @Test
    void headCountsNeedTheConfigurationForUnreleasedSizes() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("noconfig"));
        Files.copy(G.original(), dir.resolve("model.pth"));
        ModelException e = assertThrows(ModelException.class, () -> outputs(dir));
        assertTrue(e.getMessage().contains("head count") && e.getMessage().contains("blip2_config.json"),
                e.getMessage());
    }
}
