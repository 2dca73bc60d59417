package dev.blip4j.djl;

import ai.djl.translate.Translator;
import dev.blip4j.models.BlipModel;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * One task as DJL sees it: an input type, an output type, and the Translator that does the task on
 * a loaded model. {@link BlipTranslatorFactory} offers every registered task, so a Criteria picks
 * one by {@code setTypes(input, output)}.
 *
 * <p>Translators do all the work in their batch output step (BLIP's decoding is iterative, and
 * ITM/VQA need several passes): the input step checks and converts the inputs (to pixels for
 * captioning, whose Block passes them through; to plain Java values kept in the translator
 * context for the tasks whose API takes those, see {@link BatchTranslator}), and the output step
 * runs the task API once over the whole batch. Translators must be thread-safe: DJL shares one
 * Translator between all Predictors of a model.
 *
 * @param <I> the Predictor's input type
 * @param <O> the Predictor's output type
 */
public interface BlipTask<I, O> {

    Class<I> input();

    Class<O> output();

    /**
     * The arguments this task reads besides the loading ones ({@link TaskArguments#LOADING}); any
     * other is refused when the model loads.
     */
    Set<String> arguments();

    /** How messages name the task: {@code (Image, String)}. */
    default String describe() {
        return "(" + input().getSimpleName() + ", " + output().getSimpleName() + ")";
    }

    /**
     * @param model the loaded model, owned by the DJL model (closed with it)
     * @param arguments the Criteria's and the model URL's arguments (strings, or typed values)
     */
    Translator<I, O> translator(BlipModel model, TaskArguments arguments);

    /** A task from its types and how it makes its Translator. */
    static <I, O> BlipTask<I, O> of(Class<I> input, Class<O> output, Set<String> arguments,
            BiFunction<BlipModel, TaskArguments, Translator<I, O>> translator) {
        return new BlipTask<>() {
            @Override
            public Class<I> input() {
                return input;
            }

            @Override
            public Class<O> output() {
                return output;
            }

            @Override
            public Set<String> arguments() {
                return arguments;
            }

            @Override
            public Translator<I, O> translator(BlipModel model, TaskArguments args) {
                return translator.apply(model, args);
            }
        };
    }
}
