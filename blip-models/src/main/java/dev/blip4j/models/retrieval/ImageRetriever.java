package dev.blip4j.models.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipException;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.Rows;
import dev.blip4j.models.features.ModelIdentity;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ItmScoring;
import dev.blip4j.models.matching.MatchingText;
import dev.blip4j.models.text.BatchEncoding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Searches a {@link GalleryIndex} of images:
 * <ul>
 *   <li>text → images: the query's ITC embedding (35 tokens, as the official code) against every
 *       indexed image, then optionally ITM re-ranking of the best {@code k_test} with the official
 *       evaluation score ({@code itm_logit[1] + itc}, {@code [ENC]} first: {@code train_retrieval.py
 *       evaluation()}'s t2i), the others ranked below in ITC order;</li>
 *   <li>image → images: cosine of ITC image embeddings (no re-ranking: ITM scores image-text pairs).</li>
 * </ul>
 * With BLIP-2 (LAVIS's {@code compute_sim_matrix}): the text's score with an image is the largest over
 * the image's query vectors of the cosine (texts cut at 35 tokens, as there), re-ranking
 * adds the ITM match logit averaged over the queries, {@code [CLS]} first; image → images is not
 * defined.
 * Re-ranking needs each candidate's token states: read from the index when it kept them, else
 * recomputed from the image file (the default). A candidate whose file is gone or changed since it
 * was indexed is reported in {@link SearchResult#problems()} and the hit's {@code error}, and stays
 * in the results by ITC; the rest of the search is unaffected.
 *
 * <p>Thread-safe: every call has its own arrays.
 */
public final class ImageRetriever {

    private final BlipModel model;
    private final GalleryIndex index;

    /**
     * @throws InputException if another model built the index (naming it)
     * @throws dev.blip4j.core.ModelException if the model has no ITC projections
     */
    public ImageRetriever(BlipModel model, GalleryIndex index) {
        MatchingText.requireItc(model, "searching a gallery index");
        index.requireModel(ModelIdentity.of(model));
        this.model = model;
        this.index = index;
    }

    public GalleryIndex index() {
        return index;
    }

    /** Text → images. */
    public SearchResult search(String query, SearchOptions options) {
        if (options.rerank() > 0) {
            MatchingText.requireMatchingHeads(model, "ITM re-ranking");
        }
        ImageTextNetwork net = model.imageTextNetwork();
        BatchEncoding enc = MatchingText.encodeQuery(model, query);
        GalleryIndex.Nearest nearest;
        try (NDManager m = net.newManager()) {
            float[] q = net.textEmbedding(net.encodeText(MatchingText.ids(enc, m), MatchingText.mask(enc, m)))
                    .toFloatArray();
            nearest = index.nearest(q, Math.max(options.k(), options.rerank()));
        }
        int[] candidates = nearest.images();
        HitRanking.Itm[] itm = new HitRanking.Itm[candidates.length];
        List<String> problems = new ArrayList<>();
        if (options.rerank() > 0) {
            BatchEncoding grounded = enc.withFirstToken(MatchingText.firstTokenId(model, options.firstToken()));
            int n = Math.min(options.rerank(), candidates.length);
            for (int start = 0; start < n; start += options.batchSize()) {
                rerank(Arrays.copyOfRange(candidates, start, Math.min(n, start + options.batchSize())), start, grounded,
                        itm, problems);
            }
        }
        return new SearchResult(HitRanking.rank(candidates, nearest.scores(), itm, options.k(),
                i -> index.images().get(i).path(), i -> null), problems);
    }

    /** Image → images by ITC cosine. */
    public SearchResult searchSimilar(RgbImage query, SearchOptions options) {
        if (options.rerank() > 0) {
            throw new InputException("re-ranking needs a text query: ITM scores image-text pairs, not image pairs");
        }
        if (model.isBlip2()) {
            throw new InputException("image-to-image search compares BLIP's single ITC vectors; a BLIP-2 image has one"
                    + " per learned query, and LAVIS defines no score between two images: search with a text");
        }
        Blip net = model.network();
        GalleryIndex.Nearest nearest;
        try (NDManager m = net.newManager()) {
            nearest = index.nearest(net.imageEmbedding(net.encodeImage(model.pixels(List.of(query), m))).toFloatArray(),
                    options.k());
        }
        return new SearchResult(HitRanking.rank(nearest.images(), nearest.scores(),
                new HitRanking.Itm[nearest.images().length], options.k(), i -> index.images().get(i).path(), i -> null),
                List.of());
    }

    /** ITM of the query against candidates {@code batch} (at positions {@code offset...}). */
    private void rerank(int[] batch, int offset, BatchEncoding grounded, HitRanking.Itm[] itm, List<String> problems) {
        ImageTextNetwork net = model.imageTextNetwork();
        try (NDManager m = net.newManager()) {
            NDArray[] states = new NDArray[batch.length];
            List<Integer> fromFiles = new ArrayList<>();
            List<RgbImage> decoded = new ArrayList<>();
            for (int c = 0; c < batch.length; c++) {
                int i = batch[c];
                IndexedImage image = index.images().get(i);
                try {
                    if (index.hasTokens(i)) {
                        states[c] = m.create(index.tokens(i), new Shape(1, index.model().imageTokens(),
                                index.model().visionWidth()));
                    } else {
                        decoded.add(readUnchanged(image));
                        fromFiles.add(c);
                    }
                } catch (BlipException e) {
                    itm[offset + c] = new HitRanking.Itm(0, 0, e.getMessage());
                    problems.add(e.getMessage());
                }
            }
            if (!decoded.isEmpty()) {
                NDArray encoded = net.encodeImage(model.pixels(decoded, m));
                for (int f = 0; f < fromFiles.size(); f++) {
                    states[fromFiles.get(f)] = encoded.get(new NDIndex("{}:{}", f, f + 1));
                }
            }
            NDList rows = new NDList();
            List<Integer> positions = new ArrayList<>();
            for (int c = 0; c < batch.length; c++) {
                if (states[c] != null) {
                    rows.add(states[c]);
                    positions.add(c);
                }
            }
            if (rows.isEmpty()) {
                return;
            }
            int[] query = new int[positions.size()]; // the one query against every candidate
            NDArray logits = ItmScoring.logits(net, NDArrays.concat(rows), Rows.take(grounded.ids(), query, m),
                    Rows.take(grounded.attentionMask(), query, m));
            float[] match = ItmScoring.matchLogits(logits);
            float[] prob = ItmScoring.probabilities(logits);
            for (int r = 0; r < positions.size(); r++) {
                itm[offset + positions.get(r)] = new HitRanking.Itm(match[r], prob[r], null);
            }
        }
    }

    /** The image file as indexed; gone or changed files are refused, as their embedding would no longer be theirs. */
    private RgbImage readUnchanged(IndexedImage image) {
        Path path = Path.of(image.path());
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new InputException(image.path() + ": cannot re-rank, the image file is gone ("
                    + e.getClass().getSimpleName() + "); update the index");
        }
        if (attrs.size() != image.bytes() || attrs.lastModifiedTime().toMillis() != image.modifiedMillis()) {
            throw new InputException(image.path() + ": cannot re-rank, the file changed since it was indexed; update"
                    + " the index");
        }
        return model.readImage(path);
    }
}
