package dev.blip4j.cli;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
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
                    + "training and evaluation (default: ${DEFAULT-VALUE})")
    String firstToken;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        MatchOptions options = MatchOptions.defaults().withFirstToken(FirstTokens.parse(firstToken, spec.commandLine()));
        PrintWriter out = spec.commandLine().getOut();
        List<Path> files = images.files(image == null ? null : List.of(image), false, "--image");
        boolean several = files.size() > 1;
        Rows rows = several ? common.rows(out, "image", "itm", "itc", "text") : common.rows(out, "itm", "itc", "text");
        try (BlipModel m = model.load()) {
            ImageTextMatcher matcher = new ImageTextMatcher(m, options);
            for (Path file : files) {
                for (Match match : matcher.match(file, texts)) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("text", match.text());
                    row.put("itm", match.itm());
                    row.put("itc", match.itc());
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
        }
        rows.finish();
        return 0;
    }
}
