package dev.blip4j.djl;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.translate.Translator;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Image-text matching through DJL, with {@link ImageTextMatcher#matchPairs}: a batch of
 * {@link ImageText} pairs is scored in one pass (each distinct image encoded once), giving per pair
 * a {@link Match} with the ITM probability and the ITC cosine.
 *
 * <p>Argument: {@code first_token} ({@code cls}, the default as {@code BLIP_ITM} and HF, or
 * {@code enc} as the retrieval evaluation).
 */
public final class MatchingTasks {

    /** {@link ImageText} in, {@link Match} ({@code text}, {@code itm}, {@code itc}) out. */
    public static final BlipTask<ImageText, Match> ITM = BlipTask.of(ImageText.class, Match.class, Set.of("first_token"),
            MatchingTasks::translator);

    private MatchingTasks() {}

    static Translator<ImageText, Match> translator(BlipModel model, TaskArguments args) {
        ImageTextMatcher matcher = new ImageTextMatcher(model, options(args));
        return new BatchTranslator<>(batch -> {
            List<RgbImage> images = DjlImages.convert(model, batch.stream().map(ImageText::image).toList());
            List<String> texts = batch.stream().map(ImageText::text).toList();
            return () -> matcher.matchPairs(images, texts);
        });
    }

    /** The matching options the arguments ask for. */
    public static MatchOptions options(TaskArguments args) {
        String token = args.string("first_token");
        if (token == null || token.isBlank()) {
            return MatchOptions.defaults();
        }
        return switch (token.trim().toLowerCase(Locale.ROOT)) {
            case "cls" -> MatchOptions.defaults().withFirstToken(FirstToken.CLS);
            case "enc" -> MatchOptions.defaults().withFirstToken(FirstToken.ENC);
            default -> throw new InputException("argument first_token must be cls or enc, got '" + token + "'");
        };
    }

    /**
     * DJL Serving: a request carries an image and {@code text}, one string or an array (see
     * {@link ServingRequest}); the answer is {@code {"text", "itm", "itc"}}, or an array of them
     * for an array of texts, as {@code blip itm --json} prints. All pairs of a batch of requests
     * are scored in one pass.
     */
    static Translator<Input, Output> serving(BlipModel model, TaskArguments args) {
        ImageTextMatcher matcher = new ImageTextMatcher(model, options(args));
        record Request(RgbImage image, List<String> texts, boolean many) {}
        return Serving.translator(input -> {
            ServingRequest r = ServingRequest.read(input);
            return new Request(model.imageLoader().load(r.image()), r.strings("text"), r.isArray("text"));
        }, requests -> {
            List<RgbImage> images = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (Request r : requests) {
                r.texts().forEach(t -> images.add(r.image()));
                texts.addAll(r.texts());
            }
            List<Match> matches = matcher.matchPairs(images, texts);
            List<Object> bodies = new ArrayList<>(requests.size());
            int next = 0;
            for (Request r : requests) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (int i = 0; i < r.texts().size(); i++) {
                    Match m = matches.get(next++);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("text", m.text());
                    row.put("itm", m.itm());
                    row.put("itc", m.itc());
                    rows.add(row);
                }
                bodies.add(r.many() ? rows : rows.get(0));
            }
            return bodies;
        });
    }
}
