package dev.blip4j.djl;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.translate.Translator;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.blip4j.core.BlipException;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * blip4j for DJL Serving, whose models take {@link Input} and give {@link Output}: one task per
 * model, chosen by the argument {@code task} ({@code caption}, {@code itm} or {@code vqa}; by default
 * {@code vqa} for a VQA checkpoint, {@code itm} for an ITM or retrieval one, else {@code caption}).
 * Requests are read by {@link ServingRequest} (image bytes, JSON with a base64 image, or a form);
 * answers are JSON with the field names of the CLI's {@code --json}:
 * <ul>
 *   <li>{@code caption}: the image alone; {@code {"caption", "token_ids", "score"}};</li>
 *   <li>{@code itm}: the image and {@code text}; {@code {"text", "itm", "itc"}};</li>
 *   <li>{@code vqa}: the image and {@code question}; {@code {"question", "answer", "score"}}.</li>
 * </ul>
 * A text or question given as an array gets an array of answers. A request that cannot be read (no
 * image, an undecodable image, a missing field) gets code 400 and {@code {"error": ...}}, while the
 * rest of its batch is answered; the task runs once over the batch's readable requests.
 */
public final class Serving {

    /** Input in, JSON Output out, for the task the arguments or the checkpoint name. */
    public static final BlipTask<Input, Output> TASK = BlipTask.of(Input.class, Output.class,
            TaskArguments.union(CaptionTranslator.TEXT.arguments(), MatchingTasks.ITM.arguments(), VqaTasks.ARGUMENTS,
                    Set.of("task")), Serving::forTask);

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues()
            .create();

    private Serving() {}

    static Translator<Input, Output> forTask(BlipModel model, TaskArguments args) {
        String task = args.string("task");
        if (task == null || task.isBlank()) {
            Set<BlipKind> kinds = model.network().config().kinds();
            task = kinds.contains(BlipKind.VQA) ? "vqa" : kinds.contains(BlipKind.ITM) ? "itm" : "caption";
        }
        return switch (task.trim().toLowerCase(Locale.ROOT)) {
            case "caption" -> CaptionTranslator.serving(model, args);
            case "itm" -> MatchingTasks.serving(model, args);
            case "vqa" -> VqaTasks.serving(model, args);
            default -> throw new InputException("argument task must be caption, itm or vqa, got '" + task + "'");
        };
    }

    /**
     * A serving translator from how to read one request and how to answer a batch of them.
     *
     * @param read one request, throwing a {@link BlipException} for one that cannot be used
     * @param answer the task over the readable requests: one JSON body (a map or a list) per request
     */
    static <R> Translator<Input, Output> translator(Function<Input, R> read, Function<List<R>, List<?>> answer) {
        return new BatchTranslator<>(inputs -> {
            List<R> requests = new ArrayList<>(inputs.size());
            Map<Integer, String> errors = new HashMap<>();
            for (int i = 0; i < inputs.size(); i++) {
                try {
                    requests.add(read.apply(inputs.get(i)));
                } catch (BlipException e) {
                    errors.put(i, e.getMessage());
                }
            }
            return () -> {
                List<?> bodies = requests.isEmpty() ? List.of() : answer.apply(requests);
                List<Output> out = new ArrayList<>(inputs.size());
                int next = 0;
                for (int i = 0; i < inputs.size(); i++) {
                    String error = errors.get(i);
                    Output o = error != null ? new Output(400, error) : new Output();
                    o.addProperty("Content-Type", "application/json");
                    o.add(GSON.toJson(error != null ? Map.of("error", error) : bodies.get(next++)));
                    out.add(o);
                }
                return out;
            };
        });
    }
}
