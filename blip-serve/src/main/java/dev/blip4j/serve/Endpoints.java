package dev.blip4j.serve;

import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.retrieval.SearchHit;
import dev.blip4j.models.retrieval.SearchOptions;
import dev.blip4j.models.retrieval.SearchResult;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.AnswerRanking;
import dev.blip4j.models.vqa.VqaOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The task endpoints: what each takes (its {@link Field}s, named as the CLI's options with
 * underscores), how it becomes a call of the batching service, and its answer with the CLI's
 * {@code --json} field names.
 */
final class Endpoints {

    static final int MAX_TEXTS = 256;
    static final int MAX_IMAGES = 16;
    /** Past the longest position table of a BLIP decoder. */
    static final int MAX_LENGTH = 512;

    private static final Field IMAGE = Field.image("image",
            "the image: base64 (or a data URL) in JSON, a file part in a form, or the whole body as image/*");

    static final List<Field> CAPTION = List.of(IMAGE,
            Field.integer("beams", "beam width; 1 is greedy (default 3)"),
            Field.bool("greedy", "greedy search (same as beams 1)"),
            Field.integer("max_length", "longest sequence, prompt included (default 20)"),
            Field.integer("min_length", "shortest sequence, prompt included (default 5)"),
            Field.number("repetition_penalty", "CTRL repetition penalty (default 1.0, or 1.1 with sample)"),
            Field.bool("sample", "nucleus sampling instead of search"),
            Field.number("top_p", "nucleus mass when sampling (default 0.9)"),
            Field.integer("top_k", "keep the k best tokens when sampling, 0 for all (default 50)"),
            Field.number("temperature", "sampling temperature (default 1.0)"),
            Field.integer("seed", "sampling seed (default 42)"),
            Field.string("prompt", "text the caption continues, stripped from it (default 'a picture of ')"),
            Field.bool("keep_prompt", "keep the prompt in the caption text"),
            Field.integer("num_captions", "captions per image (default 1)"));

    static final List<Field> ITM = List.of(IMAGE,
            Field.strings("texts", "texts to score against the image"),
            Field.string("first_token", "cls (default, as BLIP_ITM) or enc (as the retrieval evaluation)"),
            Field.bool("itc", "also compute the ITC cosine (default true)"));

    static final List<Field> VQA = List.of(IMAGE,
            Field.string("question", "the question"),
            Field.strings("answers", "rank these answers instead of generating one"),
            Field.integer("k", "candidates scored in full when ranking (default 128)"),
            Field.integer("top", "ranked answers returned (default 5)"),
            Field.integer("beams", "beam width when generating (default 3)"),
            Field.bool("greedy", "greedy search"),
            Field.integer("max_length", "longest answer, [DEC] included (default 10)"),
            Field.integer("min_length", "shortest answer (default 1)"),
            Field.number("repetition_penalty", "CTRL repetition penalty (default 1.0)"));

    static final List<Field> EMBEDDINGS = List.of(
            Field.images("images", "images to embed (base64 strings in JSON, file parts in a form)"),
            Field.strings("texts", "texts to embed"));

    static final List<Field> SEARCH = List.of(
            Field.string("text", "find indexed images matching this text"),
            Field.image("image", "find indexed images like this one"),
            Field.integer("k", "hits returned (default 10)"),
            Field.integer("rerank", "re-score the best K with ITM + ITC, the official evaluation score (default 0)"),
            Field.string("first_token", "enc (default) or cls for re-ranking"));

    private final List<ServedModel> models;
    private final ImageSources images;
    private final ImageRetriever retriever;
    private final ServedModel searchModel;

    Endpoints(List<ServedModel> models, ImageSources images, ImageRetriever retriever, ServedModel searchModel) {
        this.models = models;
        this.images = images;
        this.retriever = retriever;
        this.searchModel = searchModel;
    }

    CompletableFuture<Object> caption(RequestFields f) {
        ServedModel m = model(ServedModel::captions, "caption");
        boolean sample = f.bool("sample", false);
        boolean greedy = f.bool("greedy", false);
        CaptionOptions options;
        try {
            Float penalty = f.number("repetition_penalty");
            Long seed = f.longValue("seed");
            int beams = greedy || sample ? 1 : or(f.integer("beams", 1, 64), 3);
            int maxLength = or(f.integer("max_length", 1, MAX_LENGTH), 20);
            int minLength = or(f.integer("min_length", 0, MAX_LENGTH), 5);
            float topP = sample ? or(f.number("top_p"), 0.9f) : 1f;
            int topK = or(f.integer("top_k", 0, 1_000_000), 50);
            float temperature = or(f.number("temperature"), 1f);
            int captions = or(f.integer("num_captions", 1, 64), 1);
            GenerationConfig generation = GenerationConfig.defaults()
                    .withNumBeams(beams)
                    .withLengths(minLength, maxLength)
                    .withRepetitionPenalty(penalty != null ? penalty : sample ? 1.1f : 1f)
                    .withSample(sample)
                    .withTopK(topK)
                    .withTopP(topP)
                    .withTemperature(temperature)
                    .withNumReturnSequences(captions)
                    .withSeed(seed != null ? seed : 42);
            String prompt = f.has("prompt") ? f.string("prompt") : CaptionOptions.DEFAULT_PROMPT;
            options = new CaptionOptions(generation, prompt, !f.bool("keep_prompt", false), 1);
        } catch (InputException e) {
            throw HttpError.badRequest(e.getMessage());
        }
        RgbImage image = image(f);
        return m.service().caption(image, options).thenApply(captions -> {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Caption c : captions) {
                rows.add(row("caption", c.text(), "token_ids", c.tokenIds(), "score", c.score()));
            }
            return rows.size() == 1 ? rows.get(0) : Map.of("captions", rows);
        });
    }

    CompletableFuture<Object> itm(RequestFields f) {
        ServedModel m = model(ServedModel::matches, "score image-text pairs (an ITM, retrieval or pre-trained checkpoint)");
        List<String> texts = required(f.strings("texts", MAX_TEXTS), "texts");
        MatchOptions options = MatchOptions.defaults().withFirstToken(firstToken(f, FirstToken.CLS))
                .withItc(f.bool("itc", true));
        RgbImage image = image(f);
        return m.service().match(image, texts, options).thenApply(matches -> {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Match x : matches) {
                rows.add(row("text", x.text(), "itm", x.itm(), "itc", Double.isNaN(x.itc()) ? null : x.itc()));
            }
            return Map.of("matches", rows);
        });
    }

    CompletableFuture<Object> vqa(RequestFields f) {
        ServedModel m = model(ServedModel::answers, "answer questions (a VQA checkpoint)");
        String question = f.requireString("question");
        List<String> answers = f.strings("answers", 100_000);
        VqaOptions options;
        try {
            GenerationConfig defaults = VqaOptions.defaultGeneration();
            Float penalty = f.number("repetition_penalty");
            int beams = f.bool("greedy", false) ? 1 : or(f.integer("beams", 1, 64), defaults.numBeams());
            int maxLength = or(f.integer("max_length", 1, MAX_LENGTH), defaults.maxLength());
            int minLength = or(f.integer("min_length", 0, MAX_LENGTH), defaults.minLength());
            GenerationConfig generation = defaults.withNumBeams(beams)
                    .withLengths(minLength, maxLength)
                    .withRepetitionPenalty(penalty != null ? penalty : defaults.repetitionPenalty());
            options = VqaOptions.defaults().withGeneration(generation)
                    .withCandidates(or(f.integer("k", 1, 100_000), VqaOptions.DEFAULT_CANDIDATES));
        } catch (InputException e) {
            throw HttpError.badRequest(e.getMessage());
        }
        int top = or(f.integer("top", 1, 100_000), 5);
        RgbImage image = image(f);
        if (answers == null) {
            return m.service().answer(image, question, options).thenApply(list -> {
                Answer a = list.get(0);
                return row("question", a.question(), "answer", a.text(), "score", a.score());
            });
        }
        AnswerList list;
        try {
            list = AnswerList.of(answers, m.model());
        } catch (InputException e) {
            throw HttpError.badRequest("field 'answers': " + e.getMessage());
        }
        return m.service().rank(image, question, list, options).thenApply((AnswerRanking r) -> {
            List<Map<String, Object>> rows = new ArrayList<>();
            r.top(top).forEach(x -> rows.add(row("answer", x.answer(), "score", x.score(), "probability", x.probability())));
            return row("question", r.question(), "answers", rows);
        });
    }

    CompletableFuture<Object> embeddings(RequestFields f) {
        ServedModel m = model(ServedModel::embeds, "embed (a checkpoint with the ITC projections)");
        List<ImageSources.Source> sources = f.images("images", MAX_IMAGES);
        List<String> texts = f.strings("texts", MAX_TEXTS);
        if (sources == null && texts == null) {
            throw HttpError.badRequest("give 'images', 'texts' or both");
        }
        List<CompletableFuture<ImageFeatures>> imageFutures = new ArrayList<>();
        if (sources != null) {
            for (ImageSources.Source s : sources) {
                imageFutures.add(m.service().imageFeatures(images.read(s)));
            }
        }
        CompletableFuture<List<TextFeatures>> textFuture = texts == null ? CompletableFuture.completedFuture(null)
                : m.service().textFeatures(texts);
        CompletableFuture<?>[] all = new CompletableFuture<?>[imageFutures.size() + 1];
        imageFutures.toArray(all);
        all[all.length - 1] = textFuture;
        CompletableFuture<Object> out = CompletableFuture.allOf(all).thenApply(done -> {
            Map<String, Object> body = new LinkedHashMap<>();
            if (sources != null) {
                body.put("images", imageFutures.stream().map(x -> row("embedding", x.join().embedding())).toList());
            }
            if (texts != null) {
                body.put("texts", textFuture.join().stream().map(t -> row("text", t.text(), "embedding", t.embedding()))
                        .toList());
            }
            return body;
        });
        // cancelling the answer (client gone) cancels every part
        out.whenComplete((r, e) -> {
            if (out.isCancelled()) {
                imageFutures.forEach(x -> x.cancel(true));
                textFuture.cancel(true);
            }
        });
        return out;
    }

    CompletableFuture<Object> search(RequestFields f) {
        if (retriever == null) {
            throw new HttpError(404, "this server has no gallery index: start it with --index DIR");
        }
        String text = f.string("text");
        List<ImageSources.Source> sources = f.images("image", 1);
        if ((text == null) == (sources == null)) {
            throw HttpError.badRequest("give exactly one of 'text' and 'image'");
        }
        if (text != null && text.isBlank()) {
            throw HttpError.badRequest("field 'text' is empty");
        }
        SearchOptions options;
        try {
            options = SearchOptions.defaults().withK(or(f.integer("k", 1, 10_000), 10))
                    .withRerank(or(f.integer("rerank", 0, 10_000), 0)).withFirstToken(firstToken(f, FirstToken.ENC));
        } catch (InputException e) {
            throw HttpError.badRequest(e.getMessage());
        }
        RgbImage image = sources == null ? null : images.read(sources.get(0));
        return searchModel.service().run(model -> text != null ? retriever.search(text, options)
                : retriever.searchSimilar(image, options)).thenApply((SearchResult r) -> {
                    List<Map<String, Object>> hits = new ArrayList<>();
                    for (SearchHit h : r.hits()) {
                        Map<String, Object> hit = row("rank", h.rank(), "path", h.path(), "score", h.score(),
                                "itc", h.itc(), "itm", h.itm(), "itm_logit", h.itmLogit());
                        if (h.error() != null) {
                            hit.put("error", h.error());
                        }
                        hits.add(hit);
                    }
                    return Map.of("hits", hits);
                });
    }

    private RgbImage image(RequestFields f) {
        List<ImageSources.Source> sources = f.images("image", 1);
        if (sources == null) {
            throw HttpError.badRequest("missing field 'image'");
        }
        return images.read(sources.get(0));
    }

    private ServedModel model(Predicate<ServedModel> can, String what) {
        for (ServedModel m : models) {
            if (can.test(m)) {
                return m;
            }
        }
        throw new HttpError(404, "no model served here can " + what + "; loaded: "
                + models.stream().map(ServedModel::name).toList());
    }

    private static FirstToken firstToken(RequestFields f, FirstToken otherwise) {
        String s = f.string("first_token");
        if (s == null) {
            return otherwise;
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "cls" -> FirstToken.CLS;
            case "enc" -> FirstToken.ENC;
            default -> throw HttpError.badRequest("field 'first_token' must be cls or enc, got '" + s + "'");
        };
    }

    private static <T> T required(T value, String name) {
        if (value == null) {
            throw HttpError.badRequest("missing field '" + name + "'");
        }
        return value;
    }

    private static <T> T or(T value, T otherwise) {
        return value != null ? value : otherwise;
    }

    /** A JSON object with fields in the order given (null values kept). */
    private static Map<String, Object> row(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
