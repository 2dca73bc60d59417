package dev.blip4j.cli;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.nlvr.NlvrClassifier;
import dev.blip4j.models.nlvr.NlvrResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "nlvr", mixinStandardHelpOptions = true,
        description = "NLVR2: is each sentence true of the pair of images? Needs a BLIP_NLVR checkpoint "
                + "(model_base_nlvr.pth).")
final class NlvrCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--image", required = true, paramLabel = "IMG",
            description = "an image of the pair: give exactly two, in order")
    List<Path> images;

    @Option(names = "--text", required = true, paramLabel = "T", description = "a sentence about the pair (repeat for several)")
    List<String> texts;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (images.size() != 2) {
            throw new ParameterException(spec.commandLine(), "NLVR2 judges a pair: give --image exactly twice, got "
                    + images.size());
        }
        PrintWriter out = spec.commandLine().getOut();
        try (BlipModel m = model.load()) {
            List<NlvrResult> results = new NlvrClassifier(m).classify(images.get(0), images.get(1), texts);
            if (common.json) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (NlvrResult r : results) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("text", r.text());
                    row.put("probability", r.probability());
                    row.put("prediction", r.prediction());
                    row.put("logits", new double[] {r.falseLogit(), r.trueLogit()});
                    rows.add(row);
                }
                out.println(Json.GSON.toJson(rows));
            } else {
                for (NlvrResult r : results) {
                    out.printf("%.6f\t%s\t%s%n", r.probability(), r.prediction(), r.text());
                }
            }
        }
        out.flush();
        return 0;
    }
}
