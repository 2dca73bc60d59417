package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The real torch.save files of the golden set, read in pure Java and checked against the HF copies. */
class TorchCheckpointGoldenTest {

    static List<String> kinds() {
        return Golden.KINDS;
    }

    /** Entry counts and alias counts as an independent Python reading of the pickles gave them. */
    @ParameterizedTest
    @CsvSource({
        "caption, 94, 2, visual_encoder.cls_token", "caption_posinterp, 94, 2, visual_encoder.cls_token",
        "itm, 93, 0, visual_encoder.cls_token", "vqa, 151, 2, visual_encoder.cls_token",
        "retrieval, 189, 0, temp", "feature_extractor, 87, 0, visual_encoder.cls_token"})
    void readsEveryEntry(String kind, int entries, int shared, String firstKey) {
        StateDict sd = TorchCheckpoint.read(Golden.pth(kind));
        assertEquals(entries, sd.tensors().size());
        assertEquals(shared, sd.sharedTensorCount());
        assertEquals(List.of(), sd.skippedKeys());
        assertEquals(firstKey, sd.tensors().keySet().iterator().next(), "the file's order is kept");
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void positionIdsAreInt64Aranges(String kind) {
        StateDict sd = TorchCheckpoint.read(Golden.pth(kind));
        List<String> keys = sd.tensors().keySet().stream().filter(k -> k.endsWith("embeddings.position_ids")).toList();
        assertTrue(!keys.isEmpty());
        for (String k : keys) {
            TensorData t = sd.get(k);
            assertEquals(DType.I64, t.dtype(), k);
            assertArrayEquals(new long[] {1, 64}, t.shape(), k);
            assertArrayEquals(LongStream.range(0, 64).toArray(), t.toLongArray(), k);
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void tiedWeightsComeBackAsOneInstance(String kind) {
        StateDict sd = TorchCheckpoint.read(Golden.pth(kind));
        Map<String, TensorData> t = sd.tensors();
        if (t.containsKey("text_decoder.cls.predictions.decoder.weight")) {
            assertSame(t.get("text_decoder.bert.embeddings.word_embeddings.weight"),
                    t.get("text_decoder.cls.predictions.decoder.weight"));
            assertSame(t.get("text_decoder.cls.predictions.bias"), t.get("text_decoder.cls.predictions.decoder.bias"));
            assertArrayEquals(new long[] {304, 32}, t.get("text_decoder.cls.predictions.decoder.weight").shape());
        }
        // and nothing else is aliased
        long distinct = t.values().stream().map(System::identityHashCode).distinct().count();
        assertEquals(t.size() - sd.sharedTensorCount(), distinct);
        assertNotSame(t.get("visual_encoder.norm.weight"), t.get("visual_encoder.norm.bias"));
    }

    @Test
    void posInterpCheckpointKeepsItsTrainingResolution() {
        StateDict sd = TorchCheckpoint.read(Golden.pth("caption_posinterp"));
        TensorData pos = sd.get("visual_encoder.pos_embed");
        assertEquals(DType.F32, pos.dtype());
        assertArrayEquals(new long[] {1, 5, 48}, pos.shape());
        TensorData expected = SafeTensors.read(Golden.root().resolve("caption_posinterp/expected.safetensors"))
                .tensors().get("pos_embed_checkpoint");
        assertArrayEquals(expected.toFloatArray(), pos.toFloatArray());
    }

    @Test
    void shapesOfTheVisionEncoder() {
        StateDict sd = TorchCheckpoint.read(Golden.pth("caption"));
        assertArrayEquals(new long[] {1, 17, 48}, sd.get("visual_encoder.pos_embed").shape());
        assertArrayEquals(new long[] {48, 3, 16, 16}, sd.get("visual_encoder.patch_embed.proj.weight").shape());
        assertArrayEquals(new long[] {144, 48}, sd.get("visual_encoder.blocks.0.attn.qkv.weight").shape());
        assertArrayEquals(new long[] {1, 1, 48}, sd.get("visual_encoder.cls_token").shape());
    }

    /**
     * Every tensor of the HF file equals the original one it was renamed from, bit for bit. The one
     * exception is by design: caption_posinterp's HF file holds the position embedding already
     * interpolated to 64x64 (what the conversion saves), which the goldens give as
     * {@code pos_embed_interpolated}.
     */
    @ParameterizedTest
    @MethodSource("kinds")
    void hfSafetensorsMatchOriginalCheckpointBitForBit(String kind) {
        StateDict original = TorchCheckpoint.read(Golden.pth(kind));
        SafeTensorsFile hf = SafeTensors.read(Golden.hf(kind));
        assertTrue(hf.tensors().size() > 80);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : hf.tensors().entrySet()) {
            String originalKey = toOriginal(e.getKey());
            TensorData o = original.get(originalKey);
            if (kind.equals("caption_posinterp") && originalKey.equals("visual_encoder.pos_embed")) {
                assertArrayEquals(new long[] {1, 5, 48}, o.shape());
                o = SafeTensors.read(Golden.root().resolve(kind).resolve("expected.safetensors"))
                        .tensors().get("pos_embed_interpolated");
            }
            if (o == null) {
                missing.add(e.getKey() + " -> " + originalKey);
                continue;
            }
            TensorData h = e.getValue();
            assertEquals(o.dtype(), h.dtype(), e.getKey());
            assertArrayEquals(o.shape(), h.shape(), e.getKey());
            assertEquals(o.data(), h.data(), e.getKey()); // ByteBuffer.equals compares the remaining bytes
        }
        assertEquals(List.of(), missing);
        assertNotNull(hf.metadata().get("format"));
    }

    /** Loads share no mutable state: many threads reading at once get the same answers. */
    @Test
    void concurrentReadsAgree() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<StateDict>> futures = new ArrayList<>();
            for (int i = 0; i < 18; i++) {
                String kind = Golden.KINDS.get(i % Golden.KINDS.size());
                futures.add(pool.submit(() -> TorchCheckpoint.read(Golden.pth(kind))));
            }
            for (int i = 0; i < futures.size(); i++) {
                StateDict sd = futures.get(i).get();
                StateDict ref = TorchCheckpoint.read(Golden.pth(Golden.KINDS.get(i % Golden.KINDS.size())));
                assertEquals(ref.tensors().keySet(), sd.tensors().keySet());
                ref.tensors().forEach((k, t) -> assertEquals(t.data(), sd.get(k).data(), k));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The loader never registers anything in Pyrolite's JVM-wide constructor registry. */
    @Test
    void pyrolitesGlobalRegistryIsLeftAlone() throws Exception {
        TorchCheckpoint.read(Golden.pth("caption"));
        byte[] pickle = new Crafted.Raw().proto(2).global("collections", "OrderedDict").op(')', 'R', '.').build();
        Object plain = new Unpickler().loads(pickle);
        assertEquals(ClassDict.class, plain.getClass());
    }

    /** HF names to original BLIP names (the rules of transformers' conversion script, inverted). Test-only. */
    static String toOriginal(String hf) {
        String k = hf;
        k = k.replace("vision_model.embeddings.class_embedding", "visual_encoder.cls_token");
        k = k.replace("vision_model.embeddings.position_embedding", "visual_encoder.pos_embed");
        k = k.replace("vision_model.embeddings.patch_embedding.", "visual_encoder.patch_embed.proj.");
        k = k.replace("vision_model.post_layernorm.", "visual_encoder.norm.");
        k = k.replace("vision_model.encoder.layers.", "visual_encoder.blocks.");
        k = k.replace(".layer_norm1.", ".norm1.").replace(".layer_norm2.", ".norm2.");
        k = k.replace(".self_attn.projection.", ".attn.proj.").replace(".self_attn.qkv.", ".attn.qkv.");
        if (k.startsWith("text_model.")) {
            k = "text_encoder." + k.substring("text_model.".length());
        }
        return k;
    }
}
