package dev.blip4j.models.matching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.DistinctImages;
import dev.blip4j.models.ImageBatches;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.BatchEncoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

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
 * <p>With BLIP-2 ({@code Blip2ITM}): ITM is {@code itm_head} on every learned query after queries and
 * text ran together, averaged over the queries, then {@code softmax[1]}; ITC is the largest over the
 * queries of the cosine with the text's {@code [CLS]}. Texts are cut at {@code max_txt_len} (32), and
 * the first token stays {@code [CLS]} (BLIP-2 has no {@code [ENC]}).
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
        return match(ImageBatches.of(model, images), texts);
    }

    /**
     * Every image against every text from normalised pixels [B, 3, S, S] (e.g. from
     * {@link BlipModel#pixels}); the array is not closed.
     */
    public MatchMatrix matchPixels(NDArray pixels, List<String> texts) {
        return match(ImageBatches.of(pixels), texts);
    }

    private MatchMatrix match(ImageBatches images, List<String> texts) {
        requireTexts(texts);
        Scores scores = new Scores(images.size(), texts.size());
        if (!texts.isEmpty()) {
            try (NDManager m = model.imageTextNetwork().newManager()) {
                TextSide text = textSide(m, texts);
                images.forEach(options.imageBatchSize(), m,
                        (first, pixels) -> score(model.imageTextNetwork().encodeImage(pixels), first, text, scores));
            }
        }
        return scores.toMatrix(texts);
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
        List<List<Match>> out = new ArrayList<>(images.size());
        ImageTextNetwork net = model.imageTextNetwork();
        try (NDManager m = net.newManager()) {
            ImageBatches.of(model, images).forEach(options.imageBatchSize(), m, (first, pixels) -> {
                int count = Math.toIntExact(pixels.getShape().get(0));
                boolean any = texts.subList(first, first + count).stream().anyMatch(t -> !t.isEmpty());
                NDArray states = any ? net.encodeImage(pixels) : null;
                for (int i = 0; i < count; i++) {
                    List<String> own = texts.get(first + i);
                    out.add(own.isEmpty() ? List.of()
                            : matchEncoded(states.get(new NDIndex("{}:{}", i, i + 1)), own));
                }
            });
        }
        return out;
    }

    /**
     * One image already through the ViT, states [1, N, W] as {@link ImageTextNetwork#encodeImage} makes them,
     * against its texts: what {@link #match(RgbImage, List)} computes after the ViT, for a serving
     * engine that encodes the images of many requests in one pass. The array is not closed.
     */
    public List<Match> matchEncoded(NDArray imageState, List<String> texts) {
        requireTexts(texts);
        Scores scores = new Scores(1, texts.size());
        if (!texts.isEmpty()) {
            try (NDManager im = model.imageTextNetwork().newManager()) {
                NDArray image = imageState.duplicate();
                image.attach(im);
                score(image, 0, textSide(im, texts), scores);
            }
        }
        return scores.toMatrix(texts).matches(0);
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
        DistinctImages distinct = DistinctImages.of(images, i -> "the image of pair " + i);
        ImageTextNetwork net = model.imageTextNetwork();
        float[] itm = new float[texts.size()];
        float[] itc = new float[texts.size()];
        try (NDManager m = net.newManager()) {
            TextSide text = textSide(m, texts);
            NDArray states = distinct.encode(model, options.imageBatchSize(), m);
            NDArray features = options.itc() ? net.imageEmbeddings(states) : null;
            for (int start = 0; start < texts.size(); start += options.textBatchSize()) {
                int end = Math.min(texts.size(), start + options.textBatchSize());
                try (NDManager bm = m.newSubManager()) {
                    NDIndex pairs = new NDIndex("{}:{}", start, end);
                    NDArray logits = ItmScoring.logits(net, distinct.ofPairs(states, start, end, bm),
                            text.groundedIds().get(pairs), text.mask().get(pairs));
                    System.arraycopy(ItmScoring.probabilities(logits), 0, itm, start, end - start);
                    if (options.itc()) {
                        float[] cos = ImageTextNetwork.itcPairs(distinct.ofPairs(features, start, end, bm),
                                text.features().get(pairs)).toFloatArray();
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

    /**
     * The texts as the matcher needs them: token ids for the image-grounded encoder, the mask, and
     * the ITC features, all owned by the manager they were made in.
     *
     * @param features [texts, embedDim] normalised ITC features, or null when ITC is off
     */
    private record TextSide(NDArray groundedIds, NDArray mask, NDArray features, int texts) {

        /** ITC cosines [images x texts], row-major, of image states [images, tokens, width]; NaN without ITC. */
        float[] cosines(ImageTextNetwork net, NDArray imageStates) {
            if (features == null) {
                float[] none = new float[Math.toIntExact(imageStates.getShape().get(0)) * texts];
                Arrays.fill(none, Float.NaN);
                return none;
            }
            return ImageTextNetwork.itc(net.imageEmbeddings(imageStates), features).toFloatArray();
        }
    }

    private TextSide textSide(NDManager m, List<String> texts) {
        ImageTextNetwork net = model.imageTextNetwork();
        BatchEncoding enc = MatchingText.encode(model, texts);
        NDArray ids = MatchingText.ids(enc, m);
        NDArray mask = MatchingText.mask(enc, m);
        NDArray grounded = MatchingText.ids(enc.withFirstToken(MatchingText.firstTokenId(model, options.firstToken())), m);
        if (!options.itc()) {
            return new TextSide(grounded, mask, null, texts.size());
        }
        return new TextSide(grounded, mask, MatchingText.features(net, ids, mask, options.textBatchSize()),
                texts.size());
    }

    /** ITC and ITM of image states [B, N, W] against every text, into rows {@code firstImage...} of {@code scores}. */
    private void score(NDArray states, int firstImage, TextSide text, Scores scores) {
        ImageTextNetwork net = model.imageTextNetwork();
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
