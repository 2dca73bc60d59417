package dev.blip4j.djl;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.translate.Translator;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.ImageQuestion;
import dev.blip4j.models.vqa.AnswerRanking;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Visual question answering through DJL, with {@link VisualQuestionAnswerer}: a batch of questions
 * goes to {@link VisualQuestionAnswerer#answerAll} (or {@code rankAll}) in one call, each distinct
 * image encoded once. As in the official code, a generated answer can depend on the longest
 * question padded with it ({@code batch_size} questions at a time, in batch order); ranking does not.
 *
 * <p>Arguments: {@code beams}, {@code max_length}, {@code min_length}, {@code repetition_penalty}
 * (defaults: the official beam 3, max 10, min 1), {@code k} (rank candidates, default 128),
 * {@code batch_size} (default 8).
 */
public final class VqaTasks {

    /** Generation's arguments, {@code k} and {@code batch_size}. */
    static final Set<String> ARGUMENTS = TaskArguments.union(TaskArguments.GENERATION, Set.of("k", "batch_size"));

    /** {@link VisualQuestion} in, the best generated answer's text out. */
    public static final BlipTask<VisualQuestion, String> ANSWER = BlipTask.of(VisualQuestion.class, String.class, ARGUMENTS,
            VqaTasks::answer);

    /** {@link ClosedQuestion} in, the {@link AnswerRanking} of its answer list out ({@code top(n)}, {@code best()}). */
    public static final BlipTask<ClosedQuestion, AnswerRanking> RANK = BlipTask.of(ClosedQuestion.class, AnswerRanking.class, ARGUMENTS,
            VqaTasks::rank);

    private VqaTasks() {}

    /** The VQA options the arguments ask for, on top of the official defaults. */
    public static VqaOptions options(TaskArguments args) {
        VqaOptions defaults = VqaOptions.defaults();
        Integer k = args.integer("k");
        Integer batch = args.integer("batch_size");
        return new VqaOptions(args.generation(defaults.generation()), k != null ? k : defaults.candidates(),
                batch != null ? batch : defaults.batchSize());
    }

    static Translator<VisualQuestion, String> answer(BlipModel model, TaskArguments args) {
        VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model, options(args));
        return new BatchTranslator<>(batch -> {
            List<ImageQuestion> pairs = pairs(model, batch.stream().map(VisualQuestion::image).toList(),
                    batch.stream().map(VisualQuestion::question).toList());
            return () -> vqa.answerAll(pairs).stream().map(a -> a.get(0).text()).toList();
        });
    }

    static Translator<ClosedQuestion, AnswerRanking> rank(BlipModel model, TaskArguments args) {
        VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model, options(args));
        AtomicReference<AnswerList> last = new AtomicReference<>();
        return new BatchTranslator<>(batch -> {
            List<ImageQuestion> pairs = pairs(model, batch.stream().map(ClosedQuestion::image).toList(),
                    batch.stream().map(ClosedQuestion::question).toList());
            // Questions grouped by answer list, each list tokenised once (and kept for the next batch).
            Map<List<String>, List<Integer>> groups = new LinkedHashMap<>();
            for (int i = 0; i < batch.size(); i++) {
                groups.computeIfAbsent(batch.get(i).answers(), a -> new ArrayList<>()).add(i);
            }
            Map<List<String>, AnswerList> lists = new LinkedHashMap<>();
            for (List<String> answers : groups.keySet()) {
                AnswerList cached = last.get();
                AnswerList list = cached != null && cached.answers().equals(answers) ? cached
                        : AnswerList.of(answers, model);
                last.set(list);
                lists.put(answers, list);
            }
            return () -> {
                AnswerRanking[] out = new AnswerRanking[batch.size()];
                groups.forEach((answers, rows) -> {
                    List<AnswerRanking> ranked = vqa.rankAll(rows.stream().map(pairs::get).toList(), lists.get(answers));
                    for (int r = 0; r < rows.size(); r++) {
                        out[rows.get(r)] = ranked.get(r);
                    }
                });
                return Arrays.asList(out);
            };
        });
    }

    /** The pairs with the images converted, one {@link RgbImage} per distinct image instance. */
    private static List<ImageQuestion> pairs(BlipModel model, List<ai.djl.modality.cv.Image> images,
            List<String> questions) {
        List<RgbImage> converted = DjlImages.convert(model, images);
        List<ImageQuestion> pairs = new ArrayList<>(questions.size());
        for (int i = 0; i < questions.size(); i++) {
            pairs.add(new ImageQuestion(converted.get(i), questions.get(i)));
        }
        return pairs;
    }

    /**
     * DJL Serving: a request carries an image and {@code question}, one string or an array (see
     * {@link ServingRequest}); the answer is {@code {"question", "answer", "score"}}, or an array of
     * them, as {@code blip vqa --json} prints. All questions of a batch of requests are answered in
     * one call.
     */
    static Translator<Input, Output> serving(BlipModel model, TaskArguments args) {
        VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model, options(args));
        record Request(RgbImage image, List<String> questions, boolean many) {}
        return Serving.translator(input -> {
            ServingRequest r = ServingRequest.read(input);
            return new Request(model.imageLoader().load(r.image()), r.strings("question"), r.isArray("question"));
        }, requests -> {
            List<ImageQuestion> pairs = new ArrayList<>();
            for (Request r : requests) {
                r.questions().forEach(q -> pairs.add(new ImageQuestion(r.image(), q)));
            }
            List<List<Answer>> answers = vqa.answerAll(pairs);
            List<Object> bodies = new ArrayList<>(requests.size());
            int next = 0;
            for (Request r : requests) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (int i = 0; i < r.questions().size(); i++) {
                    Answer a = answers.get(next++).get(0);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("question", a.question());
                    row.put("answer", a.text());
                    row.put("score", a.score());
                    rows.add(row);
                }
                bodies.add(r.many() ? rows : rows.get(0));
            }
            return bodies;
        });
    }
}
