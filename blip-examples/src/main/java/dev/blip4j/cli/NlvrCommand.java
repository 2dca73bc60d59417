package dev.blip4j.cli;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.nlvr.NlvrClassifier;
import dev.blip4j.models.nlvr.NlvrResult;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "nlvr", mixinStandardHelpOptions = true,
        description = "NLVR2: is each sentence true of the pair of images? Needs a BLIP_NLVR checkpoint "
                + "(model_base_nlvr.pth).")
final class NlvrCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--image", paramLabel = "IMG",
            description = "an image of the pair: two in all, in order, here or as IMAGE_OR_DIR")
    List<Path> image;

    @Mixin
    ImageArgs images;

    @Option(names = "--text", required = true, paramLabel = "T", description = "a sentence about the pair (repeat for several)")
    List<String> texts;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<Path> pair = images.files(image, false, "--image");
        if (pair.size() != 2) {
            throw new UsageException("NLVR2 judges a pair: give exactly two images, got " + pair.size());
        }
        Rows rows = common.rows(spec.commandLine().getOut(), "probability", "prediction", "text");
        try (BlipModel m = model.load()) {
            for (NlvrResult r : new NlvrClassifier(m).classify(pair.get(0), pair.get(1), texts)) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("text", r.text());
                row.put("probability", r.probability());
                row.put("prediction", r.prediction());
                row.put("logits", new double[] {r.falseLogit(), r.trueLogit()});
                rows.add(row, String.format(Locale.ROOT, "%.6f", r.probability()), r.prediction(), r.text());
            }
        }
        rows.finish();
        return 0;
    }
}
