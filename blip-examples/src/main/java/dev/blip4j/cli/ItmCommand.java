package dev.blip4j.cli;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchOptions;
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
import picocli.CommandLine.Spec;

@Command(name = "itm", mixinStandardHelpOptions = true, description = "Score how well texts match an image: ITM match probability and ITC cosine.")
final class ItmCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--image", required = true, paramLabel = "IMG", description = "the image")
    Path image;

    @Option(names = "--text", required = true, paramLabel = "T", description = "a text to score (repeat for several)")
    List<String> texts;

    @Option(names = "--first-token", paramLabel = "enc|cls", defaultValue = "cls",
            description = "first token of the image-grounded text: cls as BLIP_ITM and HF, enc as the retrieval "
                    + "training and evaluation (default: ${DEFAULT-VALUE}; BLIP-2 always reads [CLS])")
    String firstToken;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        MatchOptions options = MatchOptions.defaults().withFirstToken(FirstTokens.parse(firstToken, spec.commandLine()));
        PrintWriter out = spec.commandLine().getOut();
        try (BlipModel m = model.load()) {
            List<Match> matches = new ImageTextMatcher(m, options).match(image, texts);
            if (common.json) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (Match match : matches) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("text", match.text());
                    row.put("itm", match.itm());
                    row.put("itc", match.itc());
                    rows.add(row);
                }
                out.println(Json.GSON.toJson(rows));
            } else {
                for (Match match : matches) {
                    out.printf("%.6f\t%.6f\t%s%n", match.itm(), match.itc(), match.text());
                }
            }
        }
        out.flush();
        return 0;
    }
}
