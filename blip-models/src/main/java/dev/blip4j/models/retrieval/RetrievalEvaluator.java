package dev.blip4j.models.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ItmScoring;
import dev.blip4j.models.matching.MatchingText;
import dev.blip4j.models.matching.ScoreMatrix;
import dev.blip4j.models.text.BatchEncoding;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * The official retrieval evaluation ({@code train_retrieval.py evaluation()}) over a set of images
 * and texts: ITC similarities of every pair, then for every image its top {@code k_test} texts, and
 * for every text its top {@code k_test} images, re-scored with {@code itm_head(...)[:, 1] + sim} (the
 * raw logit of "match" plus the cosine), every other pair -100. Texts are cut and padded to 35 tokens
 * and the image-grounded text starts with {@code [ENC]} (default; the released {@code BLIP_ITM} would
 * use {@code [CLS]}). Feed the result to {@link RecallAtK#compute}.
 *
 * <p>The image token states of the whole set stay in (native) memory while the matrices are built,
 * as in the official code: about 1.7 MB per image at 384 px with ViT-B.
 *
 * <p>Thread-safe: every call has its own arrays.
 */
public final class RetrievalEvaluator {

    private final BlipModel model;
    private final FirstToken firstToken;
    private final int batchSize;

    /** {@code [ENC]} first, 8 images per ViT pass. */
    public RetrievalEvaluator(BlipModel model) {
        this(model, FirstToken.ENC, 8);
    }

    /**
     * @param batchSize images per ViT pass, and image-text pairs per image-grounded pass for t2i
     */
    public RetrievalEvaluator(BlipModel model, FirstToken firstToken, int batchSize) {
        MatchingText.requireMatchingHeads(model, "retrieval evaluation");
        if (firstToken == null || batchSize < 1) {
            throw new InputException("first token must be ENC or CLS and batch size at least 1");
        }
        this.model = model;
        this.firstToken = firstToken;
        this.batchSize = batchSize;
    }

    /** As {@link #evaluate(List, List, int)} for image files (see {@link BlipModel#readImages}). */
    public EvaluationScores evaluate(Collection<Path> images, List<String> texts, int kTest) {
        return evaluate(model.readImages(images), texts, kTest);
    }

    public EvaluationScores evaluate(List<RgbImage> images, List<String> texts, int kTest) {
        requireSet(images.size(), texts, kTest);
        try (NDManager m = model.network().newManager()) {
            NDList batches = new NDList();
            for (int start = 0; start < images.size(); start += batchSize) {
                List<RgbImage> batch = images.subList(start, Math.min(images.size(), start + batchSize));
                batches.add(model.network().encodeImage(model.pixels(batch, m)));
            }
            return scores(m, NDArrays.concat(batches), texts, kTest);
        }
    }

    /** As {@link #evaluate} from normalised pixels [B, 3, S, S]; the array is not closed. */
    public EvaluationScores evaluatePixels(NDArray pixels, List<String> texts, int kTest) {
        int count = Math.toIntExact(pixels.getShape().get(0));
        requireSet(count, texts, kTest);
        try (NDManager m = model.network().newManager()) {
            NDList batches = new NDList();
            for (int start = 0; start < count; start += batchSize) {
                NDArray slice = pixels.get(new NDIndex("{}:{}", start, Math.min(count, start + batchSize)));
                slice.attach(m);
                batches.add(model.network().encodeImage(slice));
            }
            return scores(m, NDArrays.concat(batches), texts, kTest);
        }
    }

    private EvaluationScores scores(NDManager m, NDArray states, List<String> texts, int kTestAsked) {
        Blip net = model.network();
        int images = Math.toIntExact(states.getShape().get(0));
        int count = texts.size();
        BatchEncoding enc = MatchingText.encode(model, texts);
        NDArray ids = MatchingText.ids(enc, m);
        NDArray mask = MatchingText.mask(enc, m);
        NDList textFeat = new NDList();
        for (int start = 0; start < count; start += 256) { // text_bs = 256, as the official loop
            NDIndex rows = new NDIndex("{}:{}", start, Math.min(count, start + 256));
            textFeat.add(net.textEmbedding(net.encodeText(ids.get(rows), mask.get(rows))));
        }
        NDArray imageFeat = net.imageEmbedding(states);
        float[] sims = imageFeat.matMul(NDArrays.concat(textFeat).transpose()).toFloatArray();
        ScoreMatrix simMatrix = new ScoreMatrix(images, count, sims);
        long[][] grounded = enc.withFirstToken(firstToken.id(model.tokenizer())).ids();
        long[][] masks = enc.attentionMask();

        float[] i2t = new float[images * count];
        Arrays.fill(i2t, EvaluationScores.NOT_RERANKED);
        int kText = Math.min(kTestAsked, count);
        for (int i = 0; i < images; i++) {
            int[] top = simMatrix.topK(i, kText);
            try (NDManager q = m.newSubManager()) {
                NDArray image = states.get(new NDIndex("{}:{}", i, i + 1));
                image.attach(q);
                NDArray logits = ItmScoring.logits(net, image, rows(q, grounded, top), rows(q, masks, top));
                float[] match = ItmScoring.matchLogits(logits);
                for (int r = 0; r < top.length; r++) {
                    i2t[i * count + top[r]] = match[r] + sims[i * count + top[r]];
                }
            }
        }

        ScoreMatrix byText = simMatrix.transpose();
        float[] t2i = new float[count * images];
        Arrays.fill(t2i, EvaluationScores.NOT_RERANKED);
        int kImage = Math.min(kTestAsked, images);
        for (int j = 0; j < count; j++) {
            int[] top = byText.topK(j, kImage);
            for (int start = 0; start < top.length; start += batchSize) {
                int[] part = Arrays.copyOfRange(top, start, Math.min(top.length, start + batchSize));
                try (NDManager q = m.newSubManager()) {
                    NDList chosen = new NDList();
                    for (int i : part) {
                        chosen.add(states.get(new NDIndex("{}:{}", i, i + 1)));
                    }
                    NDArray stack = NDArrays.concat(chosen);
                    stack.attach(q);
                    chosen.forEach(NDArray::close);
                    int[] same = new int[part.length];
                    Arrays.fill(same, j);
                    NDArray logits = ItmScoring.logits(net, stack, rows(q, grounded, same), rows(q, masks, same));
                    float[] match = ItmScoring.matchLogits(logits);
                    for (int r = 0; r < part.length; r++) {
                        t2i[j * images + part[r]] = match[r] + sims[part[r] * count + j];
                    }
                }
            }
        }
        return new EvaluationScores(simMatrix, new ScoreMatrix(images, count, i2t),
                new ScoreMatrix(count, images, t2i), kTestAsked);
    }

    /** Rows {@code which} of a rectangular id matrix as a [which.length, width] array in {@code m}. */
    static NDArray rows(NDManager m, long[][] all, int[] which) {
        int width = all[0].length;
        long[] flat = new long[which.length * width];
        for (int r = 0; r < which.length; r++) {
            System.arraycopy(all[which[r]], 0, flat, r * width, width);
        }
        return m.create(flat, new Shape(which.length, width));
    }

    private static void requireSet(int images, List<String> texts, int kTest) {
        if (texts == null) {
            throw new InputException("texts must not be null");
        }
        if (images == 0 || texts.isEmpty()) {
            throw new InputException("evaluation needs at least one image and one text, got " + images + " images and "
                    + texts.size() + " texts");
        }
        if (kTest < 1) {
            throw new InputException("k_test must be at least 1, got " + kTest);
        }
    }
}
