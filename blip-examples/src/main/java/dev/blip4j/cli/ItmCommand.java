package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.ItmGradCam;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchGradCam;
import dev.blip4j.models.matching.MatchOptions;
import java.io.PrintWriter;
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
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "itm", mixinStandardHelpOptions = true, description = "Score how well texts match an image: ITM match probability and ITC cosine.")
final class ItmCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--image", paramLabel = "IMG", description = "an image (or give images as IMAGE_OR_DIR)")
    Path image;

    @Mixin
    ImageArgs images;

    @Option(names = "--text", required = true, paramLabel = "T", description = "a text to score (repeat for several)")
    List<String> texts;

    @Option(names = "--first-token", paramLabel = "enc|cls", defaultValue = "cls",
            description = "first token of the image-grounded text: cls as BLIP_ITM and HF, enc as the retrieval "
                    + "training and evaluation (default: ${DEFAULT-VALUE}; BLIP-2 always reads [CLS])")
    String firstToken;

    @Mixin
    GradCamOptions gradCamOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        MatchOptions options = MatchOptions.defaults().withFirstToken(FirstTokens.parse(firstToken, spec.commandLine()));
        boolean explain = gradCamOptions.wanted(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        List<Path> files = images.files(image == null ? null : List.of(image), false, "--image");
        boolean several = files.size() > 1;
        Rows rows = several ? common.rows(out, "image", "itm", "itc", "text") : common.rows(out, "itm", "itc", "text");
        try (BlipModel m = model.load()) {
            ItmGradCam gradCam = explain ? gradCam(m, options) : null;
            ImageTextMatcher matcher = new ImageTextMatcher(m, options);
            int pictures = 0;
            for (Path file : files) {
                RgbImage picture = m.readImage(file);
                List<Match> matches = matcher.match(picture, texts);
                List<MatchGradCam> cams = explain ? gradCam.explain(picture, texts) : null;
                for (int j = 0; j < matches.size(); j++) {
                    Match match = matches.get(j);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("text", match.text());
                    row.put("itm", match.itm());
                    row.put("itc", match.itc());
                    if (explain) {
                        pictures += gradCamOptions.write(file, j, picture, cams.get(j).gradCam()).size();
                        row.put("gradcam", GradCamOptions.json(cams.get(j).gradCam()));
                    }
                    if (several) {
                        row.put("image", file.toString());
                    }
                    String itm = String.format(Locale.ROOT, "%.6f", match.itm());
                    String itc = String.format(Locale.ROOT, "%.6f", match.itc());
                    if (several) {
                        rows.add(row, file, itm, itc, match.text());
                    } else {
                        rows.add(row, itm, itc, match.text());
                    }
                }
            }
            if (explain) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("grad-cam (text layer " + gradCam.layer() + "): wrote " + pictures + " pictures to "
                        + gradCamOptions.dir);
                err.flush();
            }
        }
        rows.finish();
        return 0;
    }

    /** A layer the model does not have is bad usage (exit 2); a checkpoint without ITM a model problem (exit 3). */
    private ItmGradCam gradCam(BlipModel m, MatchOptions options) {
        try {
            Integer layer = gradCamOptions.layer;
            return new ItmGradCam(m, options, layer != null ? layer : ItmGradCam.defaultLayer(m));
        } catch (InputException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
