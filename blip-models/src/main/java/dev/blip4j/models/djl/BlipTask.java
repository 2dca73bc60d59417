package dev.blip4j.models.djl;

import ai.djl.translate.Translator;
import dev.blip4j.models.BlipModel;

/**
 * One task as DJL sees it: an input type, an output type, and the Translator that does the task on
 * a loaded model. {@link BlipTranslatorFactory} offers every registered task, so a Criteria picks
 * one by {@code setTypes(input, output)}.
 *
 * <p>Translators do all the work in their batch output step (BLIP's decoding is iterative, and
 * ITM/VQA need several passes), with the preprocessed pixels as the Block's input; the Block
 * itself passes them through. They must be thread-safe: DJL shares one Translator between all
 * Predictors of a model.
 *
 * @param <I> the Predictor's input type
 * @param <O> the Predictor's output type
 */
public interface BlipTask<I, O> {

    Class<I> input();

    Class<O> output();

    /**
     * @param model the loaded model, owned by the DJL model (closed with it)
     * @param arguments the Criteria's and the model URL's arguments (strings, or typed values)
     */
    Translator<I, O> translator(BlipModel model, TaskArguments arguments);
}
