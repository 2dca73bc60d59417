package dev.blip4j.cli;

import static dev.blip4j.core.ControlChars.escape;

import dev.blip4j.core.BlipConfig;
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

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show what a checkpoint holds: layout, kinds, vision and text shapes, parameters.")
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
            Map<String, Object> report = report(m.info());
            PrintWriter out = spec.commandLine().getOut();
            if (common.json) {
                out.println(Json.GSON.toJson(report));
            } else {
                report.forEach((k, v) -> out.println(k + ": " + escape(String.valueOf(v))));
            }
            out.flush();
        }
        return 0;
    }

    static Map<String, Object> report(ModelInfo info) {
        BlipConfig c = info.config();
        VisionConfig v = c.vision();
        TextConfig t = c.text();
        Map<String, Object> vision = new LinkedHashMap<>();
        vision.put("image_size", v.imageSize());
        vision.put("checkpoint_image_size", info.checkpointImageSize());
        vision.put("patch_size", v.patchSize());
        vision.put("width", v.width());
        vision.put("depth", v.depth());
        vision.put("heads", v.heads());
        vision.put("mlp_width", v.mlpWidth());
        vision.put("layer_norm_eps", v.layerNormEps());
        Map<String, Object> text = new LinkedHashMap<>();
        text.put("hidden", t.hidden());
        text.put("layers", t.layers());
        text.put("heads", t.heads());
        text.put("vocab", t.vocabSize());
        text.put("intermediate", t.intermediate());
        text.put("max_positions", t.maxPositions());
        text.put("encoder_width", t.encoderWidth());
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

}
