package dev.blip4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.AnswerRanking;
import dev.blip4j.models.vqa.ImageQuestion;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;

/**
 * Requests in every form the server takes (JSON with base64, the image as the body with options
 * in the query, multipart forms) for every task, each with the answer the task API gives for the
 * same request made directly, written with the CLI's field names.
 */
final class ServerRequests {

    /** Largest difference allowed between a served score and the direct call's. */
    static final double TOLERANCE = 1e-5;

    record Expected(String name, Http.Call call, JsonElement answer) {
        @Override
        public String toString() {
            return name;
        }
    }

    private ServerRequests() {}

    static byte[] png(int i) {
        try {
            return Files.readAllBytes(Golden.image(i));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String base64(int i) {
        return Base64.getEncoder().encodeToString(png(i));
    }

    static List<Expected> all(BlipModel caption, BlipModel itm, BlipModel vqa) {
        List<Expected> out = new ArrayList<>();
        FeatureExtractor features = new FeatureExtractor(itm);
        for (int i = 0; i < 3; i++) {
            RgbImage image = caption.readImage(Golden.image(i));
            String b64 = base64(i);
            out.add(new Expected("caption json " + i, Http.Call.json("/v1/caption", "{\"image\": \"" + b64 + "\"}"),
                    caption(new Captioner(caption).caption(image).get(0))));
            CaptionOptions greedy = CaptionOptions.defaults().withGeneration(
                    GenerationConfig.defaults().withGreedy().withLengths(5, 20));
            out.add(new Expected("caption raw greedy " + i,
                    Http.Call.raw("/v1/caption?greedy=true&max_length=20", "image/png", png(i)),
                    caption(new Captioner(caption, greedy).caption(image).get(0))));
            CaptionOptions nucleus = CaptionOptions.defaults().withGeneration(
                    GenerationConfig.defaults().withNucleus(0.9f).withSeed(7));
            out.add(new Expected("caption form sample " + i,
                    Http.Call.form("/v1/caption", form("image", png(i), "sample", "true", "seed", "7")),
                    caption(new Captioner(caption, nucleus).caption(image).get(0))));
            CaptionOptions two = CaptionOptions.defaults().withGeneration(
                    GenerationConfig.defaults().withNumBeams(3).withNumReturnSequences(2));
            JsonArray captions = new JsonArray();
            new Captioner(caption, two).caption(image).forEach(c -> captions.add(caption(c)));
            out.add(new Expected("caption two " + i, Http.Call.json("/v1/caption",
                    "{\"image\": \"" + b64 + "\", \"num_captions\": 2, \"beams\": 3}"), object("captions", captions)));

            List<String> texts = List.of("a cat", "four bears walking on the red street.", "a woman").subList(0, 1 + i);
            out.add(new Expected("itm cls " + i, Http.Call.json("/v1/itm", "{\"image\": \"" + b64 + "\", \"texts\": "
                    + strings(texts) + "}"), matches(new ImageTextMatcher(itm).match(image, texts))));
            MatchOptions enc = MatchOptions.defaults().withFirstToken(FirstToken.ENC).withItc(false);
            out.add(new Expected("itm enc form " + i, Http.Call.form("/v1/itm", form("image", png(i),
                    "texts", texts.toArray(String[]::new), "first_token", "enc", "itc", "false")),
                    matches(new ImageTextMatcher(itm, enc).match(image, texts))));

            RgbImage vqaImage = vqa.readImage(Golden.image(i));
            String question = List.of("what color is the horse?", "how many womans are there?",
                    "is the bird walking on the kitchen?").get(i);
            Answer a = new VisualQuestionAnswerer(vqa).answerAll(List.of(new ImageQuestion(vqaImage, question))).get(0)
                    .get(0);
            out.add(new Expected("vqa " + i, Http.Call.json("/v1/vqa", "{\"image\": \"" + b64 + "\", \"question\": \""
                    + question + "\"}"), object("question", a.question(), "answer", a.text(), "score", a.score())));
            List<String> answers = List.of("red", "blue", "two", "yes", "no", "a horse");
            AnswerRanking r = new VisualQuestionAnswerer(vqa, VqaOptions.defaults().withCandidates(4))
                    .rank(vqaImage, question, AnswerList.of(answers, vqa));
            JsonArray ranked = new JsonArray();
            r.top(3).forEach(x -> ranked.add(object("answer", x.answer(), "score", x.score(), "probability",
                    x.probability())));
            out.add(new Expected("vqa rank form " + i, Http.Call.form("/v1/vqa", form("image", png(i), "question",
                    question, "answers", answers.toArray(String[]::new), "k", "4", "top", "3")),
                    object("question", question, "answers", ranked)));

            List<String> some = List.of(texts.get(0), "a dog on a beach at night");
            JsonArray imageRows = new JsonArray();
            imageRows.add(object("embedding", floats(features.image(image).embedding())));
            JsonArray textRows = new JsonArray();
            for (TextFeatures t : features.texts(some)) {
                textRows.add(object("text", t.text(), "embedding", floats(t.embedding())));
            }
            out.add(new Expected("embeddings " + i, Http.Call.json("/v1/embeddings", "{\"images\": [\"" + b64
                    + "\"], \"texts\": " + strings(some) + "}"), object("images", imageRows, "texts", textRows)));
        }
        return out;
    }

    /** Asserts a served answer equals the direct one: the same fields, texts and ids, numbers within {@link #TOLERANCE}. */
    static void assertSameAnswer(String label, JsonElement want, JsonElement got) {
        if (want.isJsonObject()) {
            assertTrue(got.isJsonObject(), label + ": expected an object, got " + got);
            JsonObject w = want.getAsJsonObject();
            JsonObject g = got.getAsJsonObject();
            assertEquals(w.keySet(), g.keySet(), label + ": fields");
            for (Entry<String, JsonElement> e : w.entrySet()) {
                assertSameAnswer(label + "." + e.getKey(), e.getValue(), g.get(e.getKey()));
            }
        } else if (want.isJsonArray()) {
            assertTrue(got.isJsonArray(), label + ": expected an array, got " + got);
            assertEquals(want.getAsJsonArray().size(), got.getAsJsonArray().size(), label + ": length");
            for (int i = 0; i < want.getAsJsonArray().size(); i++) {
                assertSameAnswer(label + "[" + i + "]", want.getAsJsonArray().get(i), got.getAsJsonArray().get(i));
            }
        } else if (want.isJsonPrimitive() && want.getAsJsonPrimitive().isNumber()) {
            assertTrue(got.isJsonPrimitive() && got.getAsJsonPrimitive().isNumber(), label + ": expected a number, got " + got);
            double d = Math.abs(want.getAsDouble() - got.getAsDouble());
            if (!(d <= TOLERANCE)) {
                fail(label + ": served " + got + ", direct " + want);
            }
        } else {
            assertEquals(want, got, label);
        }
    }

    private static JsonObject caption(Caption c) {
        JsonArray ids = new JsonArray();
        for (long id : c.tokenIds()) {
            ids.add(id);
        }
        return object("caption", c.text(), "token_ids", ids, "score", c.score());
    }

    private static JsonObject matches(List<Match> matches) {
        JsonArray rows = new JsonArray();
        for (Match m : matches) {
            rows.add(object("text", m.text(), "itm", m.itm(), "itc", Double.isNaN(m.itc()) ? null : m.itc()));
        }
        return object("matches", rows);
    }

    private static JsonArray floats(float[] values) {
        JsonArray a = new JsonArray();
        for (float v : values) {
            a.add(v);
        }
        return a;
    }

    private static String strings(List<String> texts) {
        JsonArray a = new JsonArray();
        texts.forEach(a::add);
        return a.toString();
    }

    static JsonObject object(Object... keyValues) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            JsonElement e = v == null ? JsonNull.INSTANCE : v instanceof JsonElement j ? j
                    : v instanceof Number n ? new JsonPrimitive(n) : new JsonPrimitive(v.toString());
            o.add((String) keyValues[i], e);
        }
        return o;
    }

    static Map<String, Object> form(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
