package dev.blip4j.djl;

import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import dev.blip4j.core.InputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A Translator for a task whose API takes a whole batch of plain Java values (images as
 * {@link dev.blip4j.models.image.RgbImage}, texts, questions): the input step checks and converts
 * the Predictor's inputs and keeps the task's call in the translator context, the Block passes an
 * empty list through, and the output step makes that one call. {@code Predictor.batchPredict}
 * therefore gives exactly what the task API gives for the same batch, and {@code predict} what it
 * gives for a batch of one.
 *
 * @param <I> the Predictor's input type
 * @param <O> the Predictor's output type
 */
final class BatchTranslator<I, O> implements Translator<I, O> {

    private static final String CALL = "blip4j.call";

    private final Function<List<I>, Supplier<List<O>>> prepare;

    /**
     * @param prepare the input step: checks and converts a batch (never null, no null element) and
     *     returns the task call that answers it, one output per input in order
     */
    BatchTranslator(Function<List<I>, Supplier<List<O>>> prepare) {
        this.prepare = prepare;
    }

    /** Non-null, so that Predictors hand whole batches to the batch steps below. */
    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, I input) {
        return batchProcessInput(ctx, Collections.singletonList(input));
    }

    @Override
    public NDList batchProcessInput(TranslatorContext ctx, List<I> inputs) {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) == null) {
                throw new InputException("input " + i + " of the batch is null");
            }
        }
        ctx.setAttachment(CALL, prepare.apply(inputs));
        return new NDList();
    }

    @Override
    public O processOutput(TranslatorContext ctx, NDList list) {
        return batchProcessOutput(ctx, list).get(0);
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<O> batchProcessOutput(TranslatorContext ctx, NDList list) {
        return new ArrayList<>(((Supplier<List<O>>) ctx.getAttachment(CALL)).get());
    }
}
