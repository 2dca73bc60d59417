package dev.blip4j.models.serving;

import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.testing.GoldenModels;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.ImageQuestion;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A catalogue of requests over the tiny golden models: captions (beam, greedy, nucleus, several
 * per image, another prompt), matching ([CLS] and [ENC], with and without ITC), VQA answers and
 * rankings, image and text features; each with the service call and the direct task-API call it
 * must equal.
 */
final class ServiceRequests {

    /** The three services a mixed stream goes to. */
    record Services(BlipService caption, BlipService itm, BlipService vqa) {}

    record Request(String name, Function<Services, CompletableFuture<?>> submit, Supplier<Object> alone) {
        @Override
        public String toString() {
            return name;
        }
    }

    private ServiceRequests() {}

    static List<Request> all(BlipModel caption, BlipModel itm, BlipModel vqa) {
        List<Request> out = new ArrayList<>();
        List<RgbImage> images = GoldenModels.images(caption);
        List<CaptionOptions> captionOptions = List.of(
                CaptionOptions.defaults(),
                CaptionOptions.defaults().withGeneration(GenerationConfig.defaults().withGreedy().withLengths(5, 20)),
                CaptionOptions.defaults().withGeneration(GenerationConfig.defaults().withNucleus(0.9f).withSeed(7)),
                CaptionOptions.defaults().withGeneration(
                        GenerationConfig.defaults().withNumBeams(3).withNumReturnSequences(2)),
                new CaptionOptions(GenerationConfig.defaults().withGreedy().withMaxLength(12), "a photo", true, 8));
        List<MatchOptions> matchOptions = List.of(MatchOptions.defaults(),
                MatchOptions.defaults().withFirstToken(FirstToken.ENC).withItc(false));
        List<String> texts = List.of("a cat", "four bears walking on the red street.", "");
        List<String> questions = List.of("what color is the horse?", "how many womans are there?",
                "is the bird walking on the kitchen?");
        VqaOptions greedyVqa = VqaOptions.defaults()
                .withGeneration(GenerationConfig.defaults().withGreedy().withMaxLength(10));
        AnswerList answers = AnswerList.of(List.of("red", "blue", "two", "yes", "no", "a horse"), vqa);
        FeatureExtractor features = new FeatureExtractor(itm);
        for (int i = 0; i < images.size(); i++) {
            RgbImage image = images.get(i);
            RgbImage vqaImage = vqa.readImage(dev.blip4j.models.testing.Golden.image(i));
            String question = questions.get(i);
            for (int o = 0; o < captionOptions.size(); o++) {
                CaptionOptions opt = captionOptions.get(o);
                out.add(new Request("caption " + o + " image " + i, s -> s.caption().caption(image, opt),
                        () -> new Captioner(caption, opt).caption(image)));
            }
            for (int o = 0; o < matchOptions.size(); o++) {
                MatchOptions opt = matchOptions.get(o);
                List<String> own = texts.subList(0, 1 + (i + o) % texts.size());
                out.add(new Request("itm " + o + " image " + i, s -> s.itm().match(image, own, opt),
                        () -> new ImageTextMatcher(itm, opt).match(image, own)));
            }
            for (VqaOptions opt : List.of(VqaOptions.defaults(), greedyVqa)) {
                out.add(new Request("vqa answer " + opt.generation().numBeams() + " image " + i,
                        s -> s.vqa().answer(vqaImage, question, opt),
                        () -> new VisualQuestionAnswerer(vqa, opt).answerAll(List.of(new ImageQuestion(vqaImage, question)))
                                .get(0)));
            }
            VqaOptions three = VqaOptions.defaults().withCandidates(3);
            out.add(new Request("vqa rank image " + i, s -> s.vqa().rank(vqaImage, question, answers, three),
                    () -> new VisualQuestionAnswerer(vqa, three).rank(vqaImage, question, answers)));
            out.add(new Request("image features " + i, s -> s.itm().imageFeatures(image), () -> features.image(image)));
            List<String> some = List.of(texts.get(i), "a dog on a beach at night");
            out.add(new Request("text features " + i, s -> s.itm().textFeatures(some), () -> features.texts(some)));
        }
        return out;
    }
}
