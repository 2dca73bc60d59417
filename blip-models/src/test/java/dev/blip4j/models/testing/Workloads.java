package dev.blip4j.models.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ItmGradCam;
import dev.blip4j.models.matching.MatchGradCam;
import dev.blip4j.models.nlvr.NlvrClassifier;
import dev.blip4j.models.nlvr.NlvrOptions;
import dev.blip4j.models.nlvr.NlvrQuery;
import dev.blip4j.models.text.BatchEncoding;
import dev.blip4j.models.text.BlipTokenizer;
import dev.blip4j.models.text.Padding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The calls a service makes on a loaded model, as named units of work whose results compare by
 * value (captions, token ids, scores and logits down to the float bits). Shared by the thread,
 * leak and soak-style tests so that each of them covers every task: a new task (the matcher, VQA)
 * adds its calls here, in one method, and all those tests pick them up.
 */
public final class Workloads {

    /** One call; {@link #run()} returns a value-comparable fingerprint of its result. */
    public record Workload(String name, Supplier<Object> call) {
        public Object run() {
            return call.get();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private Workloads() {}

    /** Captioning with beam search, greedy search, nucleus sampling and several captions per image. */
    public static List<Workload> captioning(BlipModel m) {
        List<RgbImage> images = GoldenModels.images(m);
        Captioner beam = new Captioner(m);
        Captioner greedy = new Captioner(m, CaptionOptions.defaults()
                .withGeneration(GenerationConfig.defaults().withGreedy().withLengths(5, 20)));
        Captioner nucleus = new Captioner(m, CaptionOptions.defaults()
                .withGeneration(GenerationConfig.defaults().withNucleus(0.9f).withLengths(5, 20).withSeed(7)));
        Captioner threeBeams = new Captioner(m, CaptionOptions.defaults().withBatchSize(2)
                .withGeneration(GenerationConfig.defaults().withNumBeams(3).withMaxLength(20).withNumReturnSequences(2)));
        return List.of(
                new Workload("caption beam", () -> captions(beam.caption(images.subList(0, 1)))),
                new Workload("caption greedy x3", () -> captions(greedy.caption(images))),
                new Workload("caption nucleus x3", () -> captions(nucleus.caption(images))),
                new Workload("caption 2 of 3 beams x3", () -> captions(threeBeams.caption(images))),
                new Workload("caption from file", () -> captions(List.of(beam.caption(Golden.image(2))))),
                new Workload("caption grad-cam", () -> {
                    Caption c = greedy.caption(images.get(1)).get(0);
                    return List.of(captions(List.of(List.of(c))), gradCam(greedy.gradCam(images.get(1), c)));
                }));
    }

    /**
     * Image-text matching at the network level (ITC embeddings and similarities, ITM logits), the
     * calls a matcher makes; needs a model with ITC and ITM heads (the golden {@code itm} kind).
     */
    public static List<Workload> matching(BlipModel m) {
        List<RgbImage> images = GoldenModels.images(m);
        List<String> texts = List.of("a cat", "four bears walking on the red street.", "");
        return List.of(new Workload("itc + itm scores", () -> {
            Blip net = m.network();
            try (NDManager call = net.newManager()) {
                NDArray states = net.encodeImage(m.pixels(images, call));
                BatchEncoding enc = m.tokenizer().encodeBatch(texts, 35, Padding.LONGEST);
                NDArray ids = call.create(enc.ids());
                NDArray mask = call.create(enc.attentionMask());
                NDArray sim = net.imageEmbedding(states).matMul(net.textEmbedding(net.encodeText(ids, mask)).transpose());
                NDArray grounded = ids.duplicate();
                grounded.set(new ai.djl.ndarray.index.NDIndex(":, 0"), m.tokenizer().encId());
                NDArray itm = net.itmLogits(net.encodeMultimodal(grounded, mask, states, null));
                return List.of(floats(sim), floats(itm));
            }
        }), new Workload("itm grad-cam", () -> {
            List<Object> out = new ArrayList<>();
            for (MatchGradCam m2 : new ItmGradCam(m).explain(images.get(2), texts)) {
                out.add(List.of(m2.itm(), gradCam(m2.gradCam())));
            }
            return out;
        }));
    }

    /** NLVR2 (the golden {@code nlvr} kind): sentences about image pairs, the images shared between rows. */
    public static List<Workload> reasoning(BlipModel m) {
        List<RgbImage> images = GoldenModels.images(m);
        NlvrClassifier classifier = new NlvrClassifier(m, new NlvrOptions(2, 3));
        List<NlvrQuery> rows = List.of(new NlvrQuery(images.get(0), images.get(1), "a cat"),
                new NlvrQuery(images.get(1), images.get(2), "four bears walking on the red street."),
                new NlvrQuery(images.get(2), images.get(0), ""), new NlvrQuery(images.get(0), images.get(1), "a dog"));
        return List.of(new Workload("nlvr2 rows", () -> classifier.classify(rows).stream()
                .map(r -> List.of(r.text(), r.probability(), r.falseLogit(), r.trueLogit(), r.prediction()))
                .toList()));
    }

    /**
     * Question answering at the network level (question states grounded in the image, decoder
     * logits of candidate answers), the calls VQA makes; needs the golden {@code vqa} kind.
     */
    public static List<Workload> answering(BlipModel m) {
        List<RgbImage> images = GoldenModels.images(m);
        List<String> questions = List.of("what color is the horse?", "how many womans are there?",
                "is the bird walking on the kitchen?");
        return List.of(new Workload("vqa answer logits", () -> {
            Blip net = m.network();
            BlipTokenizer tok = m.tokenizer();
            try (NDManager call = net.newManager()) {
                NDArray states = net.encodeImage(m.pixels(images, call));
                BatchEncoding q = tok.encodeBatch(questions, 35, Padding.LONGEST).withFirstToken(tok.encId());
                NDArray mask = call.create(q.attentionMask());
                NDArray grounded = net.encodeMultimodal(call.create(q.ids()), mask, states, null);
                long[] start = new long[questions.size()];
                Arrays.fill(start, tok.decId());
                NDArray logits = net.decoderLogits(call.create(start, new Shape(start.length, 1)), null, grounded, mask);
                return floats(logits);
            }
        }));
    }

    /** Tokenizer and image work around the network: encoding, decoding, decoding files, preprocessing. */
    public static List<Workload> inputs(BlipModel m) {
        BlipTokenizer tok = m.tokenizer();
        List<String> texts = List.of("", "A BLUE elephant near the Café! 😀 猫", "[SEP] [ENC] typed as text",
                "word ".repeat(2_000));
        return List.of(
                new Workload("tokenize + decode", () -> {
                    BatchEncoding b = tok.encodeBatch(texts, 40, Padding.LONGEST);
                    List<Object> out = new ArrayList<>();
                    for (long[] ids : b.ids()) {
                        out.add(Arrays.toString(ids));
                        out.add(tok.decode(ids));
                    }
                    return out;
                }),
                new Workload("read + preprocess", () -> {
                    try (NDManager call = m.network().newManager()) {
                        return floats(m.pixels(List.of(m.readImage(Golden.image(0)), m.readImage(Golden.image(1))), call));
                    }
                }));
    }

    private static List<Object> captions(List<List<Caption>> perImage) {
        List<Object> out = new ArrayList<>();
        for (List<Caption> captions : perImage) {
            for (Caption c : captions) {
                out.add(List.of(c.text(), Arrays.toString(c.tokenIds()), Double.doubleToLongBits(c.score())));
            }
        }
        return out;
    }

    private static List<Object> gradCam(GradCam cam) {
        List<Object> out = new ArrayList<>(List.of(cam.layer(), cam.tokens(), Arrays.toString(cam.wordsMap())));
        for (int t = 0; t < cam.tokens().size(); t++) {
            out.add(Arrays.toString(cam.tokenMap(t)));
        }
        return out;
    }

    /** Float values by their bits: equal fingerprints mean bit-identical results. */
    private static List<Float> floats(NDArray a) {
        float[] f = a.toFloatArray();
        List<Float> out = new ArrayList<>(f.length);
        for (float v : f) {
            out.add(v);
        }
        return out;
    }
}
