package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.features.ModelIdentity;
import dev.blip4j.models.retrieval.GalleryIndex;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.retrieval.SearchHit;
import dev.blip4j.models.retrieval.SearchOptions;
import dev.blip4j.models.retrieval.SearchResult;
import dev.blip4j.models.retrieval.TextRetriever;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Searches an index. {@code --text Q}: the indexed images best matching Q. {@code --image IMG}: with
 * {@code --texts FILE} the texts of FILE (one per line, blank lines ignored) best matching the image,
 * without {@code --texts} the indexed images most similar to it (ITC cosine). Output rows
 * {@code {rank, path, score, itc, itm}} plus {@code itm_logit}, and {@code text} for text hits
 * ({@code path} is then null); {@code itm} and {@code itm_logit} are null when not re-ranked.
 */
@Command(name = "search", mixinStandardHelpOptions = true, description = "Search an index by text (images matching it) or by image (texts of --texts "
        + "matching it, or similar indexed images).")
final class SearchCommand implements Callable<Integer> {

    @Option(names = "--index", paramLabel = "INDEX_DIR",
            description = "the index folder (needed except for --image with --texts, where it is only checked)")
    Path index;

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    static final class Query {
        @Option(names = "--text", required = true, paramLabel = "Q", description = "find images matching this text")
        String text;

        @Option(names = "--image", required = true, paramLabel = "IMG",
                description = "find texts of --texts matching this image, or indexed images like it")
        Path image;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Query query;

    @Option(names = "--texts", paramLabel = "FILE", description = "texts to search for an --image query, one per line")
    Path textsFile;

    @Option(names = "--k", paramLabel = "N", defaultValue = "10", description = "results to show (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--rerank", paramLabel = "K_TEST", defaultValue = "0",
            description = "re-rank the best K_TEST by ITC with the official score, ITM logit + ITC; 0 for none "
                    + "(default: ${DEFAULT-VALUE})")
    int rerank;

    @Option(names = "--first-token", paramLabel = "enc|cls", defaultValue = "enc",
            description = "first token of the image-grounded text when re-ranking (default: ${DEFAULT-VALUE}, as the "
                    + "official retrieval evaluation; BLIP-2 always reads [CLS])")
    String firstToken;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8", description = "images per pass when re-ranking (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SearchOptions options = new SearchOptions(k, rerank, FirstTokens.parse(firstToken, spec.commandLine()),
                batchSize);
        if (query.text != null && textsFile != null) {
            throw new InputException("--texts is for --image queries; a --text query searches the index's images");
        }
        if (index == null && (query.text != null || textsFile == null)) {
            throw new InputException("--index is needed to search images");
        }
        SearchResult result;
        try (BlipModel m = model.load()) {
            GalleryIndex opened = index == null ? null : GalleryIndex.open(index);
            if (query.text != null) {
                result = new ImageRetriever(m, opened).search(query.text, options);
            } else if (textsFile != null) {
                if (opened != null) {
                    opened.requireModel(ModelIdentity.of(m));
                }
                result = new TextRetriever(m, readTexts(textsFile)).search(query.image, options);
            } else {
                result = new ImageRetriever(m, opened).searchSimilar(m.readImage(query.image), options);
            }
        }
        print(result);
        return result.problems().isEmpty() ? 0 : BlipCli.EXIT_INPUT;
    }

    /**
     * The hits; with {@code --rerank}, the re-ranked ones (ITM + ITC) and those ranked by ITC only
     * are two labelled groups in plain output, since their scores are not on one scale.
     */
    private void print(SearchResult result) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Rows rows = common.rows(out, "rank", "score", "itc", "itm", result.hits().stream().anyMatch(h -> h.text() != null)
                ? "text" : "path").withNulls();
        Boolean reranked = null;
        for (SearchHit h : result.hits()) {
            boolean byItm = h.itm() != null || h.error() != null && rerank > 0 && h.rank() <= rerank;
            if (rerank > 0 && (reranked == null || reranked != byItm)) {
                rows.note(byItm ? "# re-ranked: score = ITM logit + ITC (the best " + rerank + " by ITC)"
                        : "# ranked by ITC only: score = ITC cosine");
                reranked = byItm;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("rank", h.rank());
            row.put("path", h.path());
            if (h.text() != null) {
                row.put("text", h.text());
            }
            row.put("score", h.score());
            row.put("itc", h.itc());
            row.put("itm", h.itm());
            row.put("itm_logit", h.itmLogit());
            if (h.error() != null) {
                row.put("error", h.error());
            }
            rows.add(row, h.rank(), String.format(Locale.ROOT, "%.6f", h.score()),
                    String.format(Locale.ROOT, "%.6f", h.itc()),
                    h.itm() == null ? "-" : String.format(Locale.ROOT, "%.6f", h.itm()),
                    h.path() != null ? h.path() : h.text());
        }
        rows.finish();
        for (String problem : result.problems()) {
            err.println("error: " + problem);
        }
        err.flush();
    }

    private static List<String> readTexts(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new InputException(file + ": cannot read the texts (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
    }
}
