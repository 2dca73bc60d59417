package dev.blip4j.models.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.Rows;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ItmScoring;
import dev.blip4j.models.matching.MatchingText;
import dev.blip4j.models.text.BatchEncoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Image → texts over a fixed list of texts (captions, labels, queries), as
 * {@code train_retrieval.py evaluation()}'s i2t: ITC cosine against every text (35 tokens), then
 * optionally the best {@code k_test} re-scored with {@code itm_logit[1] + itc} ({@code [ENC]} first by
 * default), all of them in one image-grounded pass per batch. The texts' ITC embeddings are computed
 * once, when the retriever is made.
 *
 * <p>Thread-safe: every call has its own arrays.
 */
public final class TextRetriever {

    private final BlipModel model;
    private final List<String> texts;
    private final BatchEncoding encoding;
    private final float[] features;
    private final int dim;

    /** @throws dev.blip4j.core.ModelException if the model has no ITC projections */
    public TextRetriever(BlipModel model, List<String> texts) {
        MatchingText.requireItc(model, "searching texts");
        if (texts == null || texts.isEmpty()) {
            throw new InputException("image-to-text search needs at least one text to search");
        }
        this.model = model;
        this.texts = List.copyOf(texts);
        this.encoding = MatchingText.encodeForRetrieval(model, this.texts);
        ImageTextNetwork net = model.imageTextNetwork();
        this.dim = model.isBlip2() ? model.blip2().config().embedDim() : model.network().config().embedDim();
        try (NDManager m = net.newManager()) {
            this.features = MatchingText.features(net, MatchingText.ids(encoding, m), MatchingText.mask(encoding, m),
                    256).toFloatArray();
        }
    }

    public List<String> texts() {
        return texts;
    }

    public SearchResult search(Path image, SearchOptions options) {
        return search(model.readImage(image), options);
    }

    public SearchResult search(RgbImage image, SearchOptions options) {
        if (options.rerank() > 0) {
            MatchingText.requireMatchingHeads(model, "ITM re-ranking");
        }
        ImageTextNetwork net = model.imageTextNetwork();
        try (NDManager m = net.newManager()) {
            NDArray states = net.encodeImage(model.pixels(List.of(image), m));
            // The image's ITC vectors: one for BLIP, one per learned query for BLIP-2 (the best counts).
            float[] q = net.imageEmbeddings(states).toFloatArray();
            float[] sims = ItcScores.best(features, 1, q, dim);
            int[] candidates = HitRanking.candidates(sims, Math.max(options.k(), options.rerank()));
            HitRanking.Itm[] itm = new HitRanking.Itm[candidates.length];
            int n = Math.min(options.rerank(), candidates.length);
            if (n > 0) {
                long[][] grounded = encoding.withFirstToken(MatchingText.firstTokenId(model, options.firstToken())).ids();
                long[][] masks = encoding.attentionMask();
                for (int start = 0; start < n; start += options.batchSize()) {
                    int end = Math.min(n, start + options.batchSize());
                    int[] part = java.util.Arrays.copyOfRange(candidates, start, end);
                    NDArray logits = ItmScoring.logits(net, states, Rows.take(grounded, part, m),
                            Rows.take(masks, part, m));
                    float[] match = ItmScoring.matchLogits(logits);
                    float[] prob = ItmScoring.probabilities(logits);
                    for (int r = 0; r < part.length; r++) {
                        itm[start + r] = new HitRanking.Itm(match[r], prob[r], null);
                    }
                }
            }
            return new SearchResult(HitRanking.rank(candidates, HitRanking.itc(sims, candidates), itm, options.k(), i -> null,
                    texts::get),
                    new ArrayList<>());
        }
    }
}
