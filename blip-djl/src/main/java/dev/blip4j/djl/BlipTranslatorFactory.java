package dev.blip4j.djl;

import ai.djl.Model;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The bridge from DJL's model loading to blip4j: DJL's Criteria loads a (parameterless) model from
 * a directory or file, and this factory then loads the BLIP checkpoint there with
 * {@link BlipModel} and returns the Translator of the task the Criteria's types name. The BLIP
 * model is attached to the DJL model's manager, so closing the {@code ZooModel} releases it.
 *
 * <p>It is named by the {@code blip4j:} model URLs (see {@link BlipRepository}), or set on a
 * Criteria (see {@link BlipZoo#criteria}); DJL Serving finds it through
 * {@code translatorFactory=dev.blip4j.djl.BlipTranslatorFactory} in {@code serving.properties}.
 *
 * <p>Arguments read here: {@code tokenizer} (a path), {@code image_size}; the tasks read their own.
 */
public final class BlipTranslatorFactory implements TranslatorFactory {

    /** Every task, by (input, output) type: one entry per task. */
    private static final List<BlipTask<?, ?>> TASKS = List.of(
            CaptionTranslator.TEXT,
            CaptionTranslator.CAPTION,
            CaptionTranslator.CAPTIONS,
            MatchingTasks.ITM,
            VqaTasks.ANSWER,
            VqaTasks.RANK,
            FeatureTasks.IMAGE,
            FeatureTasks.TEXT,
            Serving.TASK);

    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        Set<Pair<Type, Type>> types = new LinkedHashSet<>();
        for (BlipTask<?, ?> t : TASKS) {
            types.add(new Pair<>(t.input(), t.output()));
        }
        return types;
    }

    /**
     * True for every pair: a BLIP model has no use for DJL's default translators, which would load
     * it and then fail at the first {@code predict} (looking for {@code synset.txt}). A pair with no
     * task is refused by {@link #newInstance} instead, while the model loads, naming the pairs that
     * exist.
     */
    @Override
    public boolean isSupported(Class<?> input, Class<?> output) {
        return true;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        BlipTask<I, O> task = null;
        for (BlipTask<?, ?> t : TASKS) {
            if (t.input() == input && t.output() == output) {
                task = (BlipTask<I, O>) t;
            }
        }
        if (task == null) {
            StringBuilder offered = new StringBuilder();
            for (BlipTask<?, ?> t : TASKS) {
                offered.append(offered.length() == 0 ? "" : ", ").append(t.describe());
            }
            throw new InputException("blip4j has no task taking " + input.getName() + " and giving "
                    + output.getName() + "; its (input, output) types are " + offered);
        }
        TaskArguments args = new TaskArguments(arguments);
        args.requireKnown(task.arguments(), task.describe());
        BlipModel blip = BlipModel.builder(weights(model))
                .tokenizer(args.path("tokenizer"))
                .imageSize(args.integer("image_size"))
                .device(model.getNDManager().getDevice())
                .load();
        try {
            Translator<I, O> translator = task.translator(blip, args);
            model.getNDManager().attachInternal("blip4j-" + UUID.randomUUID(), blip);
            return translator;
        } catch (RuntimeException e) {
            blip.close();
            throw e;
        }
    }

    /**
     * What DJL loaded: a weights file when the model path named one (DJL then reports its folder as
     * the model path and the file as the model name), else the folder.
     */
    private static Path weights(Model model) {
        Path dir = model.getModelPath();
        Path file = dir.resolve(model.getName());
        return Files.isRegularFile(file) ? file : dir;
    }
}
