package dev.blip4j.models.djl;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.BytesSupplier;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.blip4j.core.BlipException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.image.RgbImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Captioning for DJL Serving, whose models take {@link Input} and give {@link Output}: each request
 * body is an encoded image (JPEG, PNG, WebP, BMP, GIF) and each answer is JSON
 * {@code {"caption", "token_ids", "score"}}, the fields of {@code blip caption --json}. A request
 * whose image cannot be read gets code 400 and {@code {"error": ...}} while the rest of its batch
 * is captioned.
 */
public final class CaptionServingTranslator implements Translator<Input, Output> {

    /** Input (image bytes) in, JSON Output out. */
    public static final BlipTask<Input, Output> TASK = new BlipTask<>() {
        @Override
        public Class<Input> input() {
            return Input.class;
        }

        @Override
        public Class<Output> output() {
            return Output.class;
        }

        @Override
        public Translator<Input, Output> translator(BlipModel model, TaskArguments arguments) {
            return new CaptionServingTranslator(model, CaptionTranslator.options(arguments));
        }
    };

    private static final String ERRORS = "blip4j.errors";
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

    private final BlipModel model;
    private final Captioner captioner;

    public CaptionServingTranslator(BlipModel model, CaptionOptions options) {
        this.model = model;
        this.captioner = new Captioner(model, options);
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Input input) {
        return batchProcessInput(ctx, List.of(input));
    }

    @Override
    public NDList batchProcessInput(TranslatorContext ctx, List<Input> inputs) {
        Map<Integer, String> errors = new HashMap<>();
        List<RgbImage> images = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            try {
                BytesSupplier data = inputs.get(i).getData();
                if (data == null) {
                    errors.put(i, "the request has no body (send the image's bytes)");
                    continue;
                }
                images.add(model.imageLoader().load(data.getAsBytes()));
            } catch (BlipException e) {
                errors.put(i, e.getMessage());
            }
        }
        ctx.setAttachment(ERRORS, errors);
        return images.isEmpty() ? new NDList() : new NDList(model.pixels(images, ctx.getNDManager()));
    }

    @Override
    public Output processOutput(TranslatorContext ctx, NDList list) {
        return batchProcessOutput(ctx, list).get(0);
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Output> batchProcessOutput(TranslatorContext ctx, NDList list) {
        Map<Integer, String> errors = (Map<Integer, String>) ctx.getAttachment(ERRORS);
        List<List<Caption>> captions = list.isEmpty() ? List.of() : captioner.caption(list.singletonOrThrow(), null);
        int total = captions.size() + errors.size();
        List<Output> out = new ArrayList<>(total);
        int next = 0;
        for (int i = 0; i < total; i++) {
            Map<String, Object> body = new LinkedHashMap<>();
            Output o;
            if (errors.containsKey(i)) {
                o = new Output(400, errors.get(i));
                body.put("error", errors.get(i));
            } else {
                Caption c = captions.get(next++).get(0);
                o = new Output();
                body.put("caption", c.text());
                body.put("token_ids", c.tokenIds());
                body.put("score", c.score());
            }
            o.addProperty("Content-Type", "application/json");
            o.add(GSON.toJson(body));
            out.add(o);
        }
        return out;
    }
}
