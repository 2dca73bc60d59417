package dev.blip4j.models.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.ImageBatches;
import dev.blip4j.models.Rows;
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
 * use {@code [CLS]}). Feed the result to {@link RecallAtK#compute}. With BLIP-2 it is LAVIS's
 * {@code compute_sim_matrix}: the similarity is the largest over the image's queries, the ITM logit is
 * averaged over the queries, and the text keeps {@code [CLS]}.
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
        return evaluate(ImageBatches.of(model, images), texts, kTest);
    }

    /** As {@link #evaluate} from normalised pixels [B, 3, S, S]; the array is not closed. */
    public EvaluationScores evaluatePixels(NDArray pixels, List<String> texts, int kTest) {
        return evaluate(ImageBatches.of(pixels), texts, kTest);
    }

    private EvaluationScores evaluate(ImageBatches images, List<String> texts, int kTest) {
        requireSet(images.size(), texts, kTest);
        ImageTextNetwork net = model.imageTextNetwork();
        try (NDManager m = net.newManager()) {
            return scores(m, images.encode(net, batchSize, m), texts, kTest);
        }
    }

    private EvaluationScores scores(NDManager m, NDArray states, List<String> texts, int kTestAsked) {
        ImageTextNetwork net = model.imageTextNetwork();
        int images = Math.toIntExact(states.getShape().get(0));
        int count = texts.size();
        BatchEncoding enc = MatchingText.encodeForRetrieval(model, texts);
        NDArray ids = MatchingText.ids(enc, m);
        NDArray mask = MatchingText.mask(enc, m);
        NDArray textFeat = MatchingText.features(net, ids, mask, 256); // text_bs = 256, as the official loop
        // BLIP: the cosine of the two ITC vectors; BLIP-2: the largest over the image's queries.
        float[] sims = ImageTextNetwork.itc(net.imageEmbeddings(states), textFeat).toFloatArray();
        ScoreMatrix simMatrix = new ScoreMatrix(images, count, sims);
        long[][] grounded = enc.withFirstToken(MatchingText.firstTokenId(model, firstToken)).ids();
        long[][] masks = enc.attentionMask();

        float[] i2t = new float[images * count];
        Arrays.fill(i2t, EvaluationScores.NOT_RERANKED);
        int kText = Math.min(kTestAsked, count);
        for (int i = 0; i < images; i++) {
            int[] top = simMatrix.topK(i, kText);
            try (NDManager q = m.newSubManager()) {
                NDArray logits = ItmScoring.logits(net, Rows.slice(states, i, i + 1, q), Rows.take(grounded, top, q),
                        Rows.take(masks, top, q));
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
                    int[] same = new int[part.length];
                    Arrays.fill(same, j);
                    NDArray logits = ItmScoring.logits(net, Rows.take(states, part, q), Rows.take(grounded, same, q),
                            Rows.take(masks, same, q));
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
