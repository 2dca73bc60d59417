package dev.blip4j.models.matching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.BatchEncoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Image-text matching with BLIP's two matching heads:
 * <ul>
 *   <li><b>ITM</b>: the text encoder reads the text while cross-attending to the image tokens, and
 *       {@code itm_head} on its first position says match / no match; reported as
 *       {@code softmax(logits)[1]}, as {@code BLIP_ITM.forward(match_head='itm')} and the official demo;</li>
 *   <li><b>ITC</b>: cosine of the L2-normalised {@code vision_proj} / {@code text_proj} projections of
 *       the unimodal first tokens, as {@code BLIP_ITM.forward(match_head='itc')} (no temperature).</li>
 * </ul>
 * Texts are cut at 35 tokens and padded to 35 as the official code does ({@link MatchingText}). The
 * first token of the image-grounded text defaults to {@code [CLS]} like {@code BLIP_ITM} and HF; choose
 * {@link FirstToken#ENC} (via {@link MatchOptions}) to score as the retrieval model was trained.
 *
 * <p>Every image is encoded once; all texts of an image (up to {@link MatchOptions#textBatchSize()})
 * go through the image-grounded encoder in one pass that shares the image's cross-attention keys.
 * Works with ITM and retrieval checkpoints and with pre-trained ones, which have every head.
 *
 * <p>Thread-safe: every call has its own arrays.
 */
public final class ImageTextMatcher {

    private final BlipModel model;
    private final MatchOptions options;

    /** Official {@code BLIP_ITM} behaviour: {@code [CLS]} first. */
    public ImageTextMatcher(BlipModel model) {
        this(model, MatchOptions.defaults());
    }

    /**
     * @throws dev.blip4j.core.ModelException if the checkpoint lacks the text encoder, the ITC
     *     projections or the ITM head (naming which)
     */
    public ImageTextMatcher(BlipModel model, MatchOptions options) {
        MatchingText.requireMatchingHeads(model, "image-text matching");
        this.model = model;
        this.options = options;
    }

    public MatchOptions options() {
        return options;
    }

    public Match match(Path image, String text) {
        return match(model.readImage(image), text);
    }

    public Match match(RgbImage image, String text) {
        return match(image, List.of(text)).get(0);
    }

    public List<Match> match(Path image, List<String> texts) {
        return match(model.readImage(image), texts);
    }

    /** One image against many texts, in text order. */
    public List<Match> match(RgbImage image, List<String> texts) {
        return match(List.of(image), texts).matches(0);
    }

    /** Every image file against every text (see {@link BlipModel#readImages}). */
    public MatchMatrix match(Collection<Path> images, List<String> texts) {
        return match(model.readImages(images), texts);
    }

    /** Every image against every text. */
    public MatchMatrix match(List<RgbImage> images, List<String> texts) {
        requireTexts(texts);
        if (texts.isEmpty() || images.isEmpty()) {
            return new Scores(images.size(), texts.size()).toMatrix(texts);
        }
        try (NDManager m = model.network().newManager()) {
            TextSide text = textSide(m, texts);
            Scores scores = new Scores(images.size(), texts.size());
            int b = options.imageBatchSize();
            for (int start = 0; start < images.size(); start += b) {
                List<RgbImage> batch = images.subList(start, Math.min(images.size(), start + b));
                try (NDManager bm = m.newSubManager()) {
                    scoreBatch(model.pixels(batch, bm), start, text, scores);
                }
            }
            return scores.toMatrix(texts);
        }
    }

    /**
     * Each image against its own texts ({@code texts.get(i)} for image {@code i}), as CapFilt's
     * filter scores a web image's web text and synthetic captions: images go through the ViT
     * {@link MatchOptions#imageBatchSize()} at a time, and each image's texts are encoded and
     * scored with that image alone, so a pair's numbers depend on its image and that image's texts
     * only, never on which other images share the batch.
     *
     * @return per image, its texts' matches in the order given
     */
    public List<List<Match>> matchEach(List<RgbImage> images, List<List<String>> texts) {
        if (images.size() != texts.size()) {
            throw new InputException(images.size() + " images but " + texts.size() + " text lists");
        }
        texts.forEach(ImageTextMatcher::requireTexts);
        List<List<Match>> out = new java.util.ArrayList<>(images.size());
        Blip net = model.network();
        int b = options.imageBatchSize();
        for (int start = 0; start < images.size(); start += b) {
            int end = Math.min(images.size(), start + b);
            boolean any = false;
            for (int i = start; i < end; i++) {
                any |= !texts.get(i).isEmpty();
            }
            if (!any) {
                for (int i = start; i < end; i++) {
                    out.add(List.of());
                }
                continue;
            }
            try (NDManager m = net.newManager()) {
                NDArray states = net.encodeImage(model.pixels(images.subList(start, end), m));
                for (int i = start; i < end; i++) {
                    out.add(matchEncoded(states.get(new NDIndex("{}:{}", i - start, i - start + 1)), texts.get(i)));
                }
            }
        }
        return out;
    }

    /**
     * One image already through the ViT, states [1, N, W] as {@link Blip#encodeImage} makes them,
     * against its texts: what {@link #match(RgbImage, List)} computes after the ViT, for a serving
     * engine that encodes the images of many requests in one pass. The array is not closed.
     */
    public List<Match> matchEncoded(NDArray imageState, List<String> texts) {
        requireTexts(texts);
        if (texts.isEmpty()) {
            return List.of();
        }
        Blip net = model.network();
        try (NDManager im = net.newManager()) {
            NDArray image = imageState.duplicate();
            image.attach(im);
            TextSide text = textSide(im, texts);
            float[] itc = text.cosines(net, image);
            float[] itm = new float[texts.size()];
            for (int r = 0; r < texts.size(); r += options.textBatchSize()) {
                int rEnd = Math.min(texts.size(), r + options.textBatchSize());
                NDIndex rows = new NDIndex("{}:{}", r, rEnd);
                NDArray logits = ItmScoring.logits(net, image, text.groundedIds().get(rows), text.mask().get(rows));
                System.arraycopy(ItmScoring.probabilities(logits), 0, itm, r, rEnd - r);
            }
            List<Match> row = new ArrayList<>(texts.size());
            for (int r = 0; r < texts.size(); r++) {
                row.add(new Match(texts.get(r), itm[r], itc[r]));
            }
            return row;
        }
    }

    /**
     * Every image against every text from normalised pixels [B, 3, S, S] (e.g. from
     * {@link BlipModel#pixels}); the array is not closed.
     */
    public MatchMatrix matchPixels(NDArray pixels, List<String> texts) {
        requireTexts(texts);
        int count = Math.toIntExact(pixels.getShape().get(0));
        if (texts.isEmpty() || count == 0) {
            return new Scores(count, texts.size()).toMatrix(texts);
        }
        try (NDManager m = model.network().newManager()) {
            TextSide text = textSide(m, texts);
            Scores scores = new Scores(count, texts.size());
            int b = options.imageBatchSize();
            for (int start = 0; start < count; start += b) {
                try (NDManager bm = m.newSubManager()) {
                    NDArray batch = pixels.get(new NDIndex("{}:{}", start, Math.min(count, start + b)));
                    batch.attach(bm);
                    scoreBatch(batch, start, text, scores);
                }
            }
            return scores.toMatrix(texts);
        }
    }

    /**
     * Row-wise pairs: text {@code i} against image {@code i}, in pair order. Each distinct image
     * (by identity) is encoded once, and the pairs go through the image-grounded encoder together,
     * {@link MatchOptions#textBatchSize()} at a time, each text row with its own image's tokens.
     * The numbers are those of {@link #match(List, List)} for the same pairs, up to float rounding.
     *
     * @throws InputException if the lists are null or of different lengths
     */
    public List<Match> matchPairs(List<RgbImage> images, List<String> texts) {
        requireTexts(texts);
        if (images == null || images.size() != texts.size()) {
            throw new InputException("pairs need one image per text: got " + (images == null ? "no" : images.size())
                    + " images for " + texts.size() + " texts");
        }
        if (texts.isEmpty()) {
            return List.of();
        }
        Map<RgbImage, Integer> index = new IdentityHashMap<>();
        List<RgbImage> distinct = new ArrayList<>();
        int[] imageOf = new int[images.size()];
        for (int i = 0; i < imageOf.length; i++) {
            RgbImage image = images.get(i);
            if (image == null) {
                throw new InputException("the image of pair " + i + " is null");
            }
            imageOf[i] = index.computeIfAbsent(image, img -> {
                distinct.add(img);
                return distinct.size() - 1;
            });
        }
        Blip net = model.network();
        float[] itm = new float[texts.size()];
        float[] itc = new float[texts.size()];
        try (NDManager m = net.newManager()) {
            TextSide text = textSide(m, texts);
            NDList encoded = new NDList();
            for (int start = 0; start < distinct.size(); start += options.imageBatchSize()) {
                int end = Math.min(distinct.size(), start + options.imageBatchSize());
                encoded.add(net.encodeImage(model.pixels(distinct.subList(start, end), m)));
            }
            NDArray states = encoded.size() == 1 ? encoded.get(0) : NDArrays.concat(encoded);
            NDArray features = options.itc() ? net.imageEmbedding(states) : null;
            for (int start = 0; start < texts.size(); start += options.textBatchSize()) {
                int end = Math.min(texts.size(), start + options.textBatchSize());
                try (NDManager bm = m.newSubManager()) {
                    int[] rows = Arrays.copyOfRange(imageOf, start, end);
                    NDIndex pairs = new NDIndex("{}:{}", start, end);
                    NDArray logits = ItmScoring.logits(net, rows(states, rows, bm), text.groundedIds().get(pairs),
                            text.mask().get(pairs));
                    System.arraycopy(ItmScoring.probabilities(logits), 0, itm, start, end - start);
                    if (options.itc()) {
                        float[] cos = rows(features, rows, bm).mul(text.features().get(pairs)).sum(new int[] {1})
                                .toFloatArray();
                        System.arraycopy(cos, 0, itc, start, end - start);
                    } else {
                        Arrays.fill(itc, start, end, Float.NaN);
                    }
                }
            }
        }
        List<Match> out = new ArrayList<>(texts.size());
        for (int i = 0; i < itm.length; i++) {
            out.add(new Match(texts.get(i), itm[i], itc[i]));
        }
        return out;
    }

    /** The given rows of {@code array}, in order, owned by {@code manager}. */
    private static NDArray rows(NDArray array, int[] rows, NDManager manager) {
        NDList parts = new NDList(rows.length);
        for (int r : rows) {
            parts.add(array.get(new NDIndex("{}:{}", r, r + 1)));
        }
        NDArray out = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts);
        out.attach(manager);
        return out;
    }

    /**
     * The texts as the matcher needs them: token ids for the image-grounded encoder, the mask, and
     * the ITC features, all owned by the manager they were made in.
     *
     * @param features [texts, embedDim] normalised ITC features, or null when ITC is off
     */
    private record TextSide(NDArray groundedIds, NDArray mask, NDArray features, int texts) {

        /** ITC cosines [images x texts], row-major, of image states [images, tokens, width]; NaN without ITC. */
        float[] cosines(Blip net, NDArray imageStates) {
            if (features == null) {
                float[] none = new float[Math.toIntExact(imageStates.getShape().get(0)) * texts];
                Arrays.fill(none, Float.NaN);
                return none;
            }
            return net.imageEmbedding(imageStates).matMul(features.transpose()).toFloatArray();
        }
    }

    private TextSide textSide(NDManager m, List<String> texts) {
        Blip net = model.network();
        BatchEncoding enc = MatchingText.encode(model, texts);
        NDArray ids = MatchingText.ids(enc, m);
        NDArray mask = MatchingText.mask(enc, m);
        NDArray grounded = MatchingText.ids(enc.withFirstToken(options.firstToken().id(model.tokenizer())), m);
        if (!options.itc()) {
            return new TextSide(grounded, mask, null, texts.size());
        }
        NDList features = new NDList();
        for (int start = 0; start < texts.size(); start += options.textBatchSize()) {
            NDIndex rows = new NDIndex("{}:{}", start, Math.min(texts.size(), start + options.textBatchSize()));
            features.add(net.textEmbedding(net.encodeText(ids.get(rows), mask.get(rows))));
        }
        return new TextSide(grounded, mask, NDArrays.concat(features), texts.size());
    }

    private void scoreBatch(NDArray pixels, int firstImage, TextSide text, Scores scores) {
        Blip net = model.network();
        NDArray states = net.encodeImage(pixels);
        int count = Math.toIntExact(states.getShape().get(0));
        int t = scores.texts;
        float[] itc = text.cosines(net, states);
        System.arraycopy(itc, 0, scores.itc, firstImage * t, count * t);
        for (int i = 0; i < count; i++) {
            NDArray image = states.get(new NDIndex("{}:{}", i, i + 1));
            for (int start = 0; start < t; start += options.textBatchSize()) {
                int end = Math.min(t, start + options.textBatchSize());
                NDIndex rows = new NDIndex("{}:{}", start, end);
                NDArray logits = ItmScoring.logits(net, image, text.groundedIds().get(rows), text.mask().get(rows));
                int at = (firstImage + i) * t + start;
                System.arraycopy(ItmScoring.probabilities(logits), 0, scores.itm, at, end - start);
                System.arraycopy(ItmScoring.matchLogits(logits), 0, scores.logits, at, end - start);
                logits.close();
            }
        }
    }

    private static final class Scores {
        final int texts;
        final float[] itm;
        final float[] logits;
        final float[] itc;
        final int images;

        Scores(int images, int texts) {
            this.images = images;
            this.texts = texts;
            this.itm = new float[images * texts];
            this.logits = new float[images * texts];
            this.itc = new float[images * texts];
        }

        MatchMatrix toMatrix(List<String> names) {
            return new MatchMatrix(names, new ScoreMatrix(images, texts, itm), new ScoreMatrix(images, texts, logits),
                    new ScoreMatrix(images, texts, itc));
        }
    }

    private static void requireTexts(List<String> texts) {
        if (texts == null) {
            throw new InputException("texts must not be null");
        }
    }
}
