package dev.blip4j.models.convert;

import com.google.gson.JsonObject;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.blip2.Blip2;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Blip2Assembler;
import dev.blip4j.models.checkpoint.Blip2Files;
import dev.blip4j.models.checkpoint.KeyNames;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.config.HfConfigWriter;
import dev.blip4j.models.text.TokenizerFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a BLIP-2 first stage as transformers' {@code Blip2ForImageTextRetrieval} directory, as its
 * {@code convert_blip_2_original_to_pytorch.py} (model names {@code blip2-itm-vit-g*}) followed by
 * {@code save_pretrained} would: LAVIS's names renamed ({@link KeyNames#BLIP2}), EVA's
 * {@code q_bias}/{@code v_bias} fused into {@code self_attn.qkv.bias} with zeros for the keys, and
 * what the HF class does not hold left out ({@code temp}, the Q-Former's LM head
 * {@code Qformer.cls.*}, position-id buffers). A LAVIS checkpoint whose ViT is in a separate
 * {@code eva_vit_g.pth} becomes one file.
 */
final class Blip2Converter {

    static final String ARCHITECTURE = "Blip2ForImageTextRetrieval";

    private static final Pattern Q_BIAS = Pattern.compile("^visual_encoder\\.blocks\\.(\\d+)\\.attn\\.q_bias$");

    private Blip2Converter() {}

    static HfConversion write(BlipModel model, ModelFiles files, Path out) throws IOException {
        Blip2 net = model.blip2();
        Map<String, TensorData> raw = NetworkLoader.readTensors(files);
        Layout layout = NetworkLoader.blip2Layout(raw);
        Blip2Files.Merged merged = NetworkLoader.blip2Tensors(files, raw, layout, NetworkLoader.blip2Hints(files, layout));
        Map<String, TensorData> official = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : merged.tensors().entrySet()) {
            String name = KeyNames.BLIP2.toOfficial(e.getKey(), layout);
            if (!KeyNames.BLIP2.isIgnored(name) && !name.equals("temp")) {
                official.put(name, e.getValue());
            }
        }
        String pos = Blip2Assembler.VISION + "pos_embed";
        official.put(pos, BlipConverter.positionTable(official.get(pos), net.vision()));
        Map<String, TensorData> hf = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : official.entrySet()) {
            String name = e.getKey();
            TensorData tensor = e.getValue();
            if (name.endsWith(".attn.v_bias")) {
                continue;
            }
            Matcher q = Q_BIAS.matcher(name);
            if (q.matches()) {
                name = "visual_encoder.blocks." + q.group(1) + ".attn.qkv.bias";
                tensor = fusedBias(tensor, official.get("visual_encoder.blocks." + q.group(1) + ".attn.v_bias"), name);
            }
            String hfName = KeyNames.BLIP2.toHf(name, false);
            if (hf.put(hfName, tensor) != null) {
                throw new ModelException("two tensors would be written as '" + hfName + "'");
            }
        }
        JsonObject config = HfConfigWriter.blip2Config(net.config(), model.tokenizer(),
                crossAttentionFrequency(net.config().crossAttentionLayers(), net.config().qformer().layers()));
        JsonObject preprocessor = HfConfigWriter.preprocessor(model.preprocessor());
        preprocessor.addProperty("processor_class", "Blip2Processor");
        Files.createDirectories(out);
        SafeTensors.write(out.resolve("model.safetensors"), hf, Map.of("format", "pt"));
        BlipConverter.writeJson(out.resolve("config.json"), config);
        BlipConverter.writeJson(out.resolve("preprocessor_config.json"), preprocessor);
        TokenizerFiles.write(model.tokenizer(), out);
        return new HfConversion(out, BlipKind.ITM, List.of(ARCHITECTURE), hf.size(),
                net.config().vision().imageSize(), model.info().checkpointImageSize());
    }

    /** {@code cat(q_bias, zeros, v_bias)} in the stored element type, as transformers' conversion builds it. */
    private static TensorData fusedBias(TensorData q, TensorData v, String name) {
        if (v == null || v.dtype() != q.dtype() || v.numel() != q.numel()) {
            throw new ModelException("'" + name + "': q_bias without a matching v_bias");
        }
        ByteBuffer a = q.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer c = v.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer fused = ByteBuffer.allocate(3 * a.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        fused.put(a);
        fused.position(fused.position() + c.remaining());
        fused.put(c);
        fused.flip();
        return new TensorData(q.dtype(), new long[] {3 * q.numel()}, fused);
    }

    /** transformers' Q-Former puts cross-attention in layers {@code i % frequency == 0}: the only pattern it can write. */
    private static int crossAttentionFrequency(List<Integer> layers, int count) {
        int frequency = layers.size() > 1 ? layers.get(1) - layers.get(0) : count;
        for (int i = 0; i < count; i++) {
            if (layers.contains(i) != (i % frequency == 0)) {
                throw new ModelException("cross-attention in Q-Former layers " + layers + " is not every n-th layer "
                        + "from 0, which transformers' Blip2QFormerConfig cannot express");
            }
        }
        return frequency;
    }
}
