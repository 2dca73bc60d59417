package dev.blip4j.models.vqa;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.core.generate.Generator;
import dev.blip4j.core.generate.Seeds;
import dev.blip4j.core.generate.Sequence;
import dev.blip4j.core.nn.Scoped;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.core.text.DecodingRoute;
import dev.blip4j.core.text.LmLoss;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.DistinctImages;
import dev.blip4j.models.Rows;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.BatchEncoding;
import dev.blip4j.models.text.BlipTokenizer;
import dev.blip4j.models.text.Padding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Visual question answering as the official {@code BLIP_VQA}: the question, tokenised with
 * padding to the longest of its batch and truncation to 35 ids, gets {@code [ENC]} as first token
 * and is encoded with cross-attention to its image; the answer decoder then works over these
 * question states in one of two ways.
 *
 * <ul>
 *   <li>{@linkplain #answer(RgbImage, String) Generate} ({@code inference='generate'}): decoding
 *       from {@code [DEC]} (default beam 3, max length 10, min length 1), the decoder attending to
 *       every question position, padding included, through an all-ones mask as the official code
 *       does. A consequence the official code has too: an answer can depend on how far its question
 *       was padded, that is on the longest question of its batch ({@link VqaOptions#batchSize()}
 *       pairs, padded together in the order given). A question answered alone is not padded.</li>
 *   <li>{@linkplain #rank(RgbImage, String, AnswerList) Rank} ({@code inference='rank'},
 *       {@code rank_answer}): the two-stage choice among the entries of an {@link AnswerList},
 *       with the question padding masked, so that batching does not matter; see {@link AnswerRanking}.</li>
 * </ul>
 *
 * <p>The image is resized to the size the checkpoint was trained at (480 for the original VQA
 * checkpoints, 384 for HF's {@code blip-vqa-base}), which {@link BlipModel} reads from the
 * checkpoint. Questions are tokenised as given (no {@code pre_question} clean-up); an empty question
 * is {@code [ENC] [SEP]} and answered like any other.
 *
 * <p>Thread-safe: every call has its own arrays and decoding state.
 */
public final class VisualQuestionAnswerer {

    /** {@code max_length=35} of the official question tokenisation. */
    public static final int QUESTION_MAX_LENGTH = 35;

    /** Candidate rows scored per decoder pass in rank mode (bounds the [rows, length, vocab] logits). */
    private static final int SCORE_ROWS = 64;

    private final BlipModel model;
    private final VqaOptions options;
    private final int questionMaxLength;

    public VisualQuestionAnswerer(BlipModel model) {
        this(model, VqaOptions.defaults());
    }

    public VisualQuestionAnswerer(BlipModel model, VqaOptions options) {
        Blip net = model.network();
        if (!net.config().kinds().contains(BlipKind.VQA)) {
            throw new ModelException(model.info().weights() + ": a " + net.config().kinds()
                    + " checkpoint cannot answer questions: " + missing(net));
        }
        if (options == null) {
            throw new InputException("VQA options must not be null");
        }
        this.model = model;
        this.options = options;
        this.questionMaxLength = Math.min(QUESTION_MAX_LENGTH, net.encoderPositions());
        int positions = net.decoderPositions();
        if (options.generation().maxLength() > positions) {
            throw new InputException("max length " + options.generation().maxLength()
                    + " exceeds the answer decoder's position table of " + positions);
        }
    }

    private static String missing(Blip net) {
        if (!net.hasEncoder() && !net.hasDecoder()) {
            return "it has neither the question encoder (text_encoder) nor the answer decoder (text_decoder)";
        }
        if (!net.hasEncoder()) {
            return "it has no question encoder (text_encoder), only a decoder";
        }
        if (!net.hasDecoder()) {
            return "it has no answer decoder (text_decoder), only a text encoder";
        }
        return "its decoder is the image-grounded captioning decoder of a pre-trained model (it has an ITM"
                + " head), not a VQA answer decoder over question states; use a VQA checkpoint";
    }

    public VqaOptions options() {
        return options;
    }

    /** The model this answers with (for building an {@link AnswerList}). */
    public BlipModel model() {
        return model;
    }

    /**
     * The question ids fed to the encoder: {@code tokenizer(questions, padding='longest',
     * truncation=True, max_length=35)} with {@code [ENC]} in place of {@code [CLS]}.
     */
    public BatchEncoding encodeQuestions(List<String> questions) {
        BlipTokenizer tokenizer = model.tokenizer();
        return tokenizer.encodeBatch(questions, questionMaxLength, Padding.LONGEST).withFirstToken(tokenizer.encId());
    }

    // ---- generate -----------------------------------------------------------------------------

    public Answer answer(Path image, String question) {
        return answer(model.readImage(image), question);
    }

    /** The best generated answer. */
    public Answer answer(RgbImage image, String question) {
        return answer(image, List.of(requireQuestion(question))).get(0);
    }

    /**
     * The best generated answer to each question about one image, which is encoded once; the
     * questions are padded together (see the class comment).
     */
    public List<Answer> answer(RgbImage image, List<String> questions) {
        return answerAll(pairs(image, questions)).stream().map(a -> a.get(0)).toList();
    }

    /**
     * Generated answers for image-question pairs: per pair {@code numReturnSequences} answers,
     * best first. Each distinct image (by identity) is encoded once.
     */
    public List<List<Answer>> answerAll(List<ImageQuestion> pairs) {
        return withImages(pairs, (states, rows, questions) -> answerEncoded(states, rows, questions,
                DecodingRoute.ALONE));
    }

    /**
     * Generation over images already through the ViT, the decoder stepped through {@code route}
     * (how a serving engine encodes the images of many requests in one pass and steps their
     * decoders together); {@link #answerAll} is this with {@link DecodingRoute#ALONE}.
     *
     * @param imageStates [U, N, W] ViT output of the distinct images
     * @param imageOfQuestion per question, its row of imageStates
     */
    public List<List<Answer>> answerEncoded(NDArray imageStates, int[] imageOfQuestion, List<String> questions,
            DecodingRoute route) {
        GenerationConfig generation = options.generation();
        BlipTokenizer tokenizer = model.tokenizer();
        long[] prompt = {tokenizer.decId()};
        List<List<Answer>> out = new ArrayList<>(questions.size());
        for (int start = 0; start < questions.size(); start += options.batchSize()) {
            int end = Math.min(questions.size(), start + options.batchSize());
            List<String> chunk = questions.subList(start, end);
            long[] seeds = Seeds.of(generation.seed(), start, end);
            int[] images = Arrays.copyOfRange(imageOfQuestion, start, end);
            List<List<Sequence>> sequences = Scoped.run(() -> {
                Encoded q = encode(imageStates, images, chunk);
                // Official generate: all-ones mask over the question states, padding included.
                try (DecoderSession session = model.network().startDecoding(q.states, null,
                        generation.rowsPerInput())) {
                    return Generator.generate(route.route(session), prompt, chunk.size(), generation,
                            tokenizer.sepId(), tokenizer.padId(), seeds, null);
                }
            });
            for (int i = 0; i < chunk.size(); i++) {
                List<Answer> answers = new ArrayList<>();
                for (Sequence s : sequences.get(i)) {
                    answers.add(new Answer(chunk.get(i), tokenizer.decode(s.ids()), s.ids(), s.score()));
                }
                out.add(answers);
            }
        }
        return out;
    }

    // ---- rank ---------------------------------------------------------------------------------

    public AnswerRanking rank(Path image, String question, AnswerList answers) {
        return rank(model.readImage(image), question, answers);
    }

    public AnswerRanking rank(RgbImage image, String question, AnswerList answers) {
        return rank(image, List.of(requireQuestion(question)), answers).get(0);
    }

    /** Ranks the list for each question about one image, which is encoded once. */
    public List<AnswerRanking> rank(RgbImage image, List<String> questions, AnswerList answers) {
        return rankAll(pairs(image, questions), answers);
    }

    /** Ranks the list for each image-question pair; each distinct image (by identity) is encoded once. */
    public List<AnswerRanking> rankAll(List<ImageQuestion> pairs, AnswerList answers) {
        requireAnswers(answers);
        return withImages(pairs, (states, rows, questions) -> rankEncoded(states, rows, questions, answers));
    }

    /** Rank mode over images already through the ViT (arguments as {@link #answerEncoded}). */
    public List<AnswerRanking> rankEncoded(NDArray imageStates, int[] imageOfQuestion, List<String> questions,
            AnswerList answers) {
        requireAnswers(answers);
        Blip net = model.network();
        int k = Math.min(options.candidates(), answers.size());
        long dec = model.tokenizer().decId();
        List<AnswerRanking> out = new ArrayList<>(questions.size());
        for (int start = 0; start < questions.size(); start += options.batchSize()) {
            int end = Math.min(questions.size(), start + options.batchSize());
            List<String> chunk = questions.subList(start, end);
            int[] images = Arrays.copyOfRange(imageOfQuestion, start, end);
            out.addAll(Scoped.run(() -> {
                List<AnswerRanking> rankings = new ArrayList<>(chunk.size());
                Encoded q = encode(imageStates, images, chunk);
                int n = chunk.size();
                long[] starts = new long[n];
                Arrays.fill(starts, dec);
                NDArray startIds = q.states.getManager().create(starts, new Shape(n, 1));
                // Stage 1: one step from [DEC], the question padding masked.
                NDArray logits = net.decoderLogits(startIds, null, q.states, q.mask);
                float[] probs = logits.get(new NDIndex(":, 0, :")).softmax(1).toFloatArray();
                int vocab = probs.length / n;
                for (int i = 0; i < n; i++) {
                    float[] first = new float[answers.size()];
                    for (int a = 0; a < first.length; a++) {
                        first[a] = probs[i * vocab + (int) answers.firstToken(a)];
                    }
                    int[] candidates = topK(first, k);
                    float[] candidateProbs = new float[k];
                    for (int c = 0; c < k; c++) {
                        candidateProbs[c] = first[candidates[c]];
                    }
                    float[] scores = score(q, i, candidates, answers);
                    rankings.add(new AnswerRanking(chunk.get(i), answers, first, candidates, candidateProbs, scores));
                }
                return rankings;
            }));
        }
        return out;
    }

    /**
     * Stage 2 for question {@code row}: minus the label-smoothed (0.1) cross-entropy of each
     * candidate's tokens after {@code [DEC]}, {@code [SEP]} included, pads ignored, the decoder
     * cross-attending to the question with its padding mask. Ids are cut to the longest
     * candidate: the causal decoder never lets a position see the pads after it, so this is exact.
     */
    private float[] score(Encoded q, int row, int[] candidates, AnswerList answers) {
        Blip net = model.network();
        float[] scores = new float[candidates.length];
        for (int from = 0; from < candidates.length; from += SCORE_ROWS) {
            int to = Math.min(candidates.length, from + SCORE_ROWS);
            int rows = to - from;
            int width = 0;
            for (int c = from; c < to; c++) {
                width = Math.max(width, answers.length(candidates[c]));
            }
            long[] ids = new long[rows * width];
            long[] mask = new long[rows * width];
            long[] labels = new long[rows * width];
            for (int r = 0; r < rows; r++) {
                long[] rowIds = answers.idsRow(candidates[from + r]);
                long[] rowMask = answers.maskRow(candidates[from + r]);
                for (int t = 0; t < width; t++) {
                    ids[r * width + t] = rowIds[t];
                    mask[r * width + t] = rowMask[t];
                    // The official targets: input_ids.masked_fill(input_ids == pad_token_id, -100).
                    labels[r * width + t] = rowIds[t] == answers.padId() ? LmLoss.IGNORE : rowIds[t];
                }
            }
            Shape shape = new Shape(rows, width);
            float[] loss = Scoped.run(() -> {
                NDManager m = q.states.getManager();
                NDArray states = q.states.get(new NDIndex("{}:{}", row, row + 1)).repeat(0, rows);
                NDArray statesMask = q.mask.get(new NDIndex("{}:{}", row, row + 1)).repeat(0, rows);
                NDArray logits = net.decoderLogits(m.create(ids, shape), m.create(mask, shape), states, statesMask);
                return LmLoss.perSequence(logits, m.create(labels, shape), LmLoss.SMOOTHING).toFloatArray();
            });
            for (int r = 0; r < rows; r++) {
                scores[from + r] = -loss[r];
            }
        }
        return scores;
    }

    /**
     * The k largest values' indices, largest first, ties to the lower index: {@code torch.topk}
     * as the official ranking uses it, made deterministic.
     */
    static int[] topK(float[] values, int k) {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> values[i]).reversed())
                .limit(k)
                .mapToInt(Integer::intValue)
                .toArray();
    }

    // ---- shared -------------------------------------------------------------------------------

    /** Question ids, mask and image-grounded states of one batch. */
    private record Encoded(NDArray states, NDArray mask) {}

    private Encoded encode(NDArray imageStates, int[] imageRows, List<String> questions) {
        BatchEncoding encoding = encodeQuestions(questions);
        NDManager m = imageStates.getManager();
        Shape shape = new Shape(encoding.size(), encoding.width());
        NDArray ids = m.create(encoding.flatIds(), shape);
        NDArray mask = m.create(encoding.flatAttentionMask(), shape);
        NDArray images = Rows.take(imageStates, imageRows, m);
        return new Encoded(model.network().encodeMultimodal(ids, mask, images, null), mask);
    }

    @FunctionalInterface
    private interface EncodedWork<T> {
        List<T> run(NDArray imageStates, int[] imageOfQuestion, List<String> questions);
    }

    /** Encodes each distinct image once (in batches), then runs the work over all questions. */
    private <T> List<T> withImages(List<ImageQuestion> pairs, EncodedWork<T> work) {
        if (pairs == null) {
            throw new InputException("the image-question pairs must not be null");
        }
        if (pairs.isEmpty()) {
            return List.of();
        }
        List<RgbImage> images = new ArrayList<>(pairs.size());
        List<String> questions = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            ImageQuestion p = pairs.get(i);
            if (p == null) {
                throw new InputException("image-question pair " + i + " is null");
            }
            images.add(p.image());
            questions.add(p.question());
        }
        DistinctImages distinct = DistinctImages.of(images, i -> "the image of image-question pair " + i);
        try (NDManager m = model.network().newManager()) {
            NDArray imageStates = distinct.encode(model, options.batchSize(), m);
            return work.run(imageStates, distinct.imageOf(), questions);
        }
    }

    private static List<ImageQuestion> pairs(RgbImage image, List<String> questions) {
        if (questions == null) {
            throw new InputException("the questions must not be null");
        }
        List<ImageQuestion> pairs = new ArrayList<>(questions.size());
        for (String q : questions) {
            pairs.add(new ImageQuestion(image, q));
        }
        return pairs;
    }

    private static String requireQuestion(String question) {
        if (question == null) {
            throw new InputException("the question must not be null (an empty question is allowed)");
        }
        return question;
    }

    private void requireAnswers(AnswerList answers) {
        if (answers == null) {
            throw new InputException("rank mode needs an answer list");
        }
        answers.requireVocabulary(model.tokenizer());
        int positions = model.network().decoderPositions();
        if (answers.width() > positions) {
            throw new InputException("the answer list holds answers of " + answers.width()
                    + " tokens, more than the " + positions + " positions of this model's answer decoder");
        }
    }
}
