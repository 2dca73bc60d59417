package dev.blip4j.cli;

import dev.blip4j.core.BlipConfig;
import dev.blip4j.core.blip2.Blip2Config;
import dev.blip4j.core.text.TextConfig;
import dev.blip4j.core.vision.VisionConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelInfo;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show what a checkpoint holds: layout, kinds, "
        + "vision and text shapes (BLIP-2: ViT and Q-Former, queries, cross-attention layers), parameters.")
final class InspectCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (BlipModel m = model.load()) {
            Map<String, Object> report = m.isBlip2() ? blip2Report(m.info()) : report(m.info());
            PrintWriter out = spec.commandLine().getOut();
            if (common.json) {
                out.println(Json.GSON.toJson(report));
            } else {
                report.forEach((k, v) -> out.println(k + ": " + v));
            }
            out.flush();
        }
        return 0;
    }

    static Map<String, Object> report(ModelInfo info) {
        BlipConfig c = info.config();
        Map<String, Object> vision = vision(info);
        Map<String, Object> text = text(c.text());
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("path", info.weights().toString());
        report.put("layout", info.layout() == Layout.HUGGINGFACE ? "hf" : "original");
        report.put("kinds", c.kinds().stream().map(k -> k.name().toLowerCase(Locale.ROOT)).sorted().toList());
        report.put("vision", vision);
        report.put("text", text);
        report.put("embed_dim", c.embedDim());
        report.put("parameters", info.parameters());
        report.put("ignored_keys", info.ignoredKeys());
        report.put("tied_tensors", info.tiedTensors());
        return report;
    }

    /**
     * BLIP-2's first stage: the EVA ViT (its {@code ln_vision} epsilon too) and the Q-Former, with its
     * query count and the layers whose queries cross-attend to the image.
     */
    static Map<String, Object> blip2Report(ModelInfo info) {
        Blip2Config c = info.blip2();
        Map<String, Object> vision = vision(info);
        vision.put("head_dim", c.vision().width() / c.vision().heads());
        vision.put("ln_vision_eps", c.lnVisionEps());
        Map<String, Object> qformer = text(c.qformer());
        qformer.put("queries", c.queries());
        qformer.put("cross_attention_layers", c.crossAttentionLayers());
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("path", info.weights().toString());
        report.put("layout", info.layout() == Layout.HUGGINGFACE ? "hf" : "original");
        report.put("kind", "blip2");
        report.put("kinds", List.of("blip2"));
        report.put("vision", vision);
        report.put("qformer", qformer);
        report.put("embed_dim", c.embedDim());
        report.put("max_txt_len", c.maxTextLength());
        report.put("parameters", info.parameters());
        report.put("ignored_keys", info.ignoredKeys());
        report.put("tied_tensors", info.tiedTensors());
        return report;
    }

    private static Map<String, Object> vision(ModelInfo info) {
        VisionConfig v = info.vision();
        Map<String, Object> vision = new LinkedHashMap<>();
        vision.put("image_size", v.imageSize());
        vision.put("checkpoint_image_size", info.checkpointImageSize());
        vision.put("patch_size", v.patchSize());
        vision.put("width", v.width());
        vision.put("depth", v.depth());
        vision.put("heads", v.heads());
        vision.put("mlp_width", v.mlpWidth());
        vision.put("layer_norm_eps", v.layerNormEps());
        return vision;
    }

    private static Map<String, Object> text(TextConfig t) {
        Map<String, Object> text = new LinkedHashMap<>();
        text.put("hidden", t.hidden());
        text.put("layers", t.layers());
        text.put("heads", t.heads());
        text.put("vocab", t.vocabSize());
        text.put("intermediate", t.intermediate());
        text.put("max_positions", t.maxPositions());
        text.put("encoder_width", t.encoderWidth());
        return text;
    }

}
