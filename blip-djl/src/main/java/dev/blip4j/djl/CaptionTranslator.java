package dev.blip4j.djl;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.image.RgbImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Captioning as a DJL Translator: the input step turns DJL {@link Image}s into BLIP's normalised
 * pixels (Pillow-identical resizing), the Block passes them through, and the output step runs the
 * {@link Captioner} over the whole batch in one decoding. {@code Predictor.batchPredict} therefore
 * captions a batch exactly as {@link Captioner#caption(List)} does.
 *
 * <p>Arguments (Criteria {@code optArgument}, or the model URL's query): {@code beams},
 * {@code max_length}, {@code min_length}, {@code repetition_penalty}, {@code prompt}; nucleus
 * sampling with {@code sample=true} and {@code top_p}, {@code top_k}, {@code temperature},
 * {@code seed}; {@code num_captions} (with the {@code Caption[]} output). Defaults are the official
 * ones ({@link CaptionOptions#defaults()}).
 *
 * @param <O> {@code String} (the caption text), {@link Caption} (text, token ids and score), or
 *     {@code Caption[]} (the {@code num_captions} captions of the image, best first)
 */
public final class CaptionTranslator<O> implements Translator<Image, O> {

    /** Image in, caption text out. */
    public static final BlipTask<Image, String> TEXT = task(String.class, c -> c.get(0).text(), false);
    /** Image in, {@link Caption} (text, token ids, score) out. */
    public static final BlipTask<Image, Caption> CAPTION = task(Caption.class, c -> c.get(0), false);
    /** Image in, its {@code num_captions} captions out, best first. */
    public static final BlipTask<Image, Caption[]> CAPTIONS = task(Caption[].class,
            c -> c.toArray(Caption[]::new), true);

    private static final Set<String> ARGUMENTS = TaskArguments.union(TaskArguments.GENERATION, Set.of("prompt", "num_captions"));

    private final BlipModel model;
    private final Captioner captioner;
    private final Function<List<Caption>, O> output;

    /** @param output what the Predictor returns for one image's captions */
    public CaptionTranslator(BlipModel model, CaptionOptions options, Function<List<Caption>, O> output) {
        this.model = model;
        this.captioner = new Captioner(model, options);
        this.output = output;
    }

    /** The caption options the arguments ask for, on top of the official defaults. */
    public static CaptionOptions options(TaskArguments args) {
        CaptionOptions defaults = CaptionOptions.defaults();
        String prompt = args.string("prompt");
        Integer n = args.integer("num_captions");
        var generation = args.generation(defaults.generation());
        if (n != null) {
            generation = generation.withNumReturnSequences(n);
        }
        return defaults.withGeneration(generation).withPrompt(prompt != null ? prompt : defaults.prompt());
    }


    /**
     * DJL Serving (see {@link Serving}): a request is an image; the answer is
     * {@code {"caption", "token_ids", "score"}}, the fields of {@code blip caption --json}.
     */
    static Translator<Input, Output> serving(BlipModel model, TaskArguments args) {
        Captioner captioner = new Captioner(model, options(args));
        return Serving.translator(input -> model.imageLoader().load(ServingRequest.read(input).image()), images -> {
            List<Map<String, Object>> bodies = new ArrayList<>(images.size());
            for (List<Caption> forImage : captioner.caption(images)) {
                Caption c = forImage.get(0);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("caption", c.text());
                body.put("token_ids", c.tokenIds());
                body.put("score", c.score());
                bodies.add(body);
            }
            return bodies;
        });
    }

    private static <O> BlipTask<Image, O> task(Class<O> type, Function<List<Caption>, O> output, boolean several) {
        return new BlipTask<>() {
            @Override
            public Class<Image> input() {
                return Image.class;
            }

            @Override
            public Class<O> output() {
                return type;
            }

            @Override
            public Set<String> arguments() {
                return ARGUMENTS;
            }

            @Override
            public Translator<Image, O> translator(BlipModel model, TaskArguments arguments) {
                CaptionOptions options = options(arguments);
                int n = options.generation().numReturnSequences();
                if (n > 1 && !several) {
                    throw new InputException("num_captions=" + n + " gives several captions per image, but "
                            + describe() + " returns one: load it with the (Image, Caption[]) types");
                }
                return new CaptionTranslator<>(model, options, output);
            }
        };
    }

    /** Non-null, so that Predictors hand whole batches to the batch steps below. */
    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        return batchProcessInput(ctx, List.of(input));
    }

    @Override
    public NDList batchProcessInput(TranslatorContext ctx, List<Image> inputs) {
        List<RgbImage> images = new ArrayList<>(inputs.size());
        for (Image image : inputs) {
            if (image == null) {
                throw new InputException("a null image was given to caption");
            }
            images.add(model.imageLoader().fromDjlImage(image));
        }
        return new NDList(model.pixels(images, ctx.getNDManager()));
    }

    @Override
    public O processOutput(TranslatorContext ctx, NDList list) {
        return batchProcessOutput(ctx, list).get(0);
    }

    @Override
    public List<O> batchProcessOutput(TranslatorContext ctx, NDList list) {
        List<List<Caption>> captions = captioner.caption(list.singletonOrThrow(), null);
        List<O> out = new ArrayList<>(captions.size());
        for (List<Caption> forImage : captions) {
            out.add(output.apply(forImage));
        }
        return out;
    }
}
