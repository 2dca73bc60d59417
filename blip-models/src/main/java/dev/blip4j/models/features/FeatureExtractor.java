package dev.blip4j.models.features;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.blip4j.core.Blip;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.blip2.Blip2;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.ImageBatches;
import dev.blip4j.models.Rows;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.MatchingText;
import dev.blip4j.models.text.BatchEncoding;
import dev.blip4j.models.text.Padding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * BLIP's features, as the official {@code BLIP_Base.forward(image, caption, mode)} returns them
 * ({@code models/blip.py}) and as LAVIS {@code BlipFeatureExtractor.extract_features} names them:
 * <ul>
 *   <li>{@code mode='image'}: {@link ImageFeatures}: ViT token states ({@code image_embeds}) and, when
 *       the checkpoint has {@code vision_proj}, the normalised projections ({@code image_embeds_proj},
 *       its first row being the ITC feature);</li>
 *   <li>{@code mode='text'}: {@link TextFeatures}: unimodal text states ({@code text_embeds}) and,
 *       with {@code text_proj}, {@code text_embeds_proj};</li>
 *   <li>{@code mode='multimodal'}: {@link MultimodalFeatures}: image-grounded states with {@code [ENC]}
 *       first ({@code multimodal_embeds}).</li>
 * </ul>
 * Any checkpoint with the needed parts works: image features need only the ViT, text features the
 * text encoder, multimodal features its cross-attention. A BLIP-2 checkpoint gives
 * {@code Blip2Qformer.extract_features}'s: image features with the Q-Former's queries
 * ({@link ImageFeatures#queries()}), text features of its text mode, multimodal features of its queries. Texts are not cut at 35 tokens as in
 * matching: {@code BLIP_Base} does not truncate (see {@link FeatureOptions#maxTextLength()}).
 *
 * <p>Thread-safe: every call has its own arrays.
 */
public final class FeatureExtractor {

    private final BlipModel model;
    private final FeatureOptions options;

    public FeatureExtractor(BlipModel model) {
        this(model, FeatureOptions.defaults());
    }

    public FeatureExtractor(BlipModel model, FeatureOptions options) {
        this.model = model;
        this.options = options;
    }

    public FeatureOptions options() {
        return options;
    }

    public ImageFeatures image(Path image) {
        return image(model.readImage(image));
    }

    public ImageFeatures image(RgbImage image) {
        return images(List.of(image)).get(0);
    }

    /** The features of image files, in order (see {@link BlipModel#readImages}). */
    public List<ImageFeatures> images(Collection<Path> images) {
        return images(model.readImages(images));
    }

    public List<ImageFeatures> images(List<RgbImage> images) {
        return images(ImageBatches.of(model, images));
    }

    /** Image features of normalised pixels [B, 3, S, S]; the array is not closed. */
    public List<ImageFeatures> imagesFromPixels(NDArray pixels) {
        return images(ImageBatches.of(pixels));
    }

    private List<ImageFeatures> images(ImageBatches images) {
        ImageTextNetwork net = model.imageTextNetwork();
        List<ImageFeatures> out = new ArrayList<>(images.size());
        try (NDManager m = net.newManager()) {
            images.forEach(options.batchSize(), m, (first, pixels) -> out.addAll(imageFeatures(net.encodeImage(pixels))));
        }
        return out;
    }

    /**
     * Features of image token states [B, N, W] already computed (e.g. by {@link Blip#encodeImage}):
     * the states copied out and, with {@code vision_proj}, their projections.
     */
    public List<ImageFeatures> imageFeatures(NDArray states) {
        int b = Math.toIntExact(states.getShape().get(0));
        int n = Math.toIntExact(states.getShape().get(1));
        int w = Math.toIntExact(states.getShape().get(2));
        float[] all = states.toFloatArray();
        if (model.isBlip2()) {
            return queryFeatures(states, all, n, w);
        }
        Blip net = model.network();
        Projections p = Projections.of(net.hasItc(), states, net::imageEmbedding);
        List<ImageFeatures> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            out.add(new ImageFeatures(Arrays.copyOfRange(all, i * n * w, (i + 1) * n * w), n, w, p.first(i),
                    p.tokens(i, n)));
        }
        return out;
    }

    /**
     * ITC projections of states [B, T, W]: of each row's first token ({@code image_feat},
     * {@code text_feat}) and of every token ({@code *_embeds_proj}); all null without ITC.
     */
    private record Projections(float[] first, float[] tokens, int tokensPerRow, int dim) {

        static Projections of(boolean itc, NDArray states, UnaryOperator<NDArray> embedding) {
            long b = states.getShape().get(0);
            int t = Math.toIntExact(states.getShape().get(1));
            if (!itc) {
                return new Projections(null, null, t, 0);
            }
            float[] first = embedding.apply(states).toFloatArray();
            float[] tokens = embedding.apply(states.reshape(b * t, 1, states.getShape().get(2))).toFloatArray();
            return new Projections(first, tokens, t, Math.toIntExact(first.length / b));
        }

        float[] first(int row) {
            return first == null ? null : Arrays.copyOfRange(first, row * dim, (row + 1) * dim);
        }

        /** The first {@code keep} tokens' projections of a row. */
        float[] tokens(int row, int keep) {
            return tokens == null ? null
                    : Arrays.copyOfRange(tokens, row * tokensPerRow * dim, (row * tokensPerRow + keep) * dim);
        }
    }

    /** BLIP-2's image features: the ViT's tokens, and the Q-Former's queries over them with their projections. */
    private List<ImageFeatures> queryFeatures(NDArray states, float[] all, int n, int w) {
        Blip2 net = model.blip2();
        NDArray queries = net.encodeQueries(states);
        int b = Math.toIntExact(queries.getShape().get(0));
        int q = Math.toIntExact(queries.getShape().get(1));
        int h = Math.toIntExact(queries.getShape().get(2));
        int d = net.config().embedDim();
        float[] outputs = queries.toFloatArray();
        float[] feats = net.queryEmbeddings(queries).toFloatArray();
        List<ImageFeatures> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            out.add(new ImageFeatures(Arrays.copyOfRange(all, i * n * w, (i + 1) * n * w), n, w, null, null,
                    Arrays.copyOfRange(outputs, i * q * h, (i + 1) * q * h), q,
                    Arrays.copyOfRange(feats, i * q * d, (i + 1) * q * d)));
        }
        return out;
    }

    public TextFeatures text(String text) {
        return texts(List.of(text)).get(0);
    }

    /** Unimodal text features, in text order. */
    public List<TextFeatures> texts(List<String> texts) {
        ImageTextNetwork net = model.isBlip2() ? model.blip2() : requireEncoder("text features");
        boolean itc = model.isBlip2() || model.network().hasItc();
        BatchEncoding enc = encode(texts);
        List<TextFeatures> out = new ArrayList<>(texts.size());
        int[] lengths = enc.lengths();
        long[][] ids = enc.ids();
        try (NDManager m = net.newManager()) {
            NDArray allIds = MatchingText.ids(enc, m);
            NDArray allMask = MatchingText.mask(enc, m);
            for (int start = 0; start < texts.size(); start += options.batchSize()) {
                int end = Math.min(texts.size(), start + options.batchSize());
                try (NDManager bm = m.newSubManager()) {
                    NDArray states = net.encodeText(Rows.slice(allIds, start, end, bm),
                            Rows.slice(allMask, start, end, bm));
                    int t = Math.toIntExact(states.getShape().get(1));
                    int h = Math.toIntExact(states.getShape().get(2));
                    float[] all = states.toFloatArray();
                    Projections p = Projections.of(itc, states, net::textEmbedding);
                    for (int i = 0; i < end - start; i++) {
                        int row = start + i;
                        int keep = options.padding() == Padding.NONE ? lengths[row] : t;
                        out.add(new TextFeatures(texts.get(row), Arrays.copyOf(ids[row], keep), lengths[row],
                                Arrays.copyOfRange(all, i * t * h, (i * t + keep) * h), h, p.first(i),
                                p.tokens(i, keep)));
                    }
                }
            }
        }
        return out;
    }

    /** One image's image-grounded features of every text, in text order. */
    public List<MultimodalFeatures> multimodal(RgbImage image, List<String> texts) {
        return multimodal(List.of(image), texts).get(0);
    }

    /** Image-grounded features of image files: for every image, every text, in order. */
    public List<List<MultimodalFeatures>> multimodal(Collection<Path> images, List<String> texts) {
        return multimodal(model.readImages(images), texts);
    }

    /** Image-grounded features: for every image, every text, in order. */
    public List<List<MultimodalFeatures>> multimodal(List<RgbImage> images, List<String> texts) {
        return multimodal(ImageBatches.of(model, images), texts);
    }

    /** As {@link #multimodal(List, List)} from normalised pixels [B, 3, S, S]; the array is not closed. */
    public List<List<MultimodalFeatures>> multimodalFromPixels(NDArray pixels, List<String> texts) {
        return multimodal(ImageBatches.of(pixels), texts);
    }

    private List<List<MultimodalFeatures>> multimodal(ImageBatches images, List<String> texts) {
        requireCrossAttention();
        ImageTextNetwork net = model.imageTextNetwork();
        List<List<MultimodalFeatures>> out = new ArrayList<>(images.size());
        try (NDManager m = net.newManager()) {
            Grounding g = grounding(texts, m);
            images.forEach(options.batchSize(), m, (first, pixels) -> out.addAll(multimodal(net.encodeImage(pixels), g)));
        }
        return out;
    }

    /** The texts' tokens with {@code [ENC]} first, as {@code BLIP_Base} feeds them. */
    private record Grounding(List<String> texts, long[][] ids, int[] lengths, NDArray allIds, NDArray allMask) {}

    private Grounding grounding(List<String> texts, NDManager m) {
        BatchEncoding enc = model.isBlip2() ? encode(texts) : encode(texts).withFirstToken(model.tokenizer().encId());
        return new Grounding(texts, enc.ids(), enc.lengths(), MatchingText.ids(enc, m), MatchingText.mask(enc, m));
    }

    private List<List<MultimodalFeatures>> multimodal(NDArray imageStates, Grounding g) {
        int images = Math.toIntExact(imageStates.getShape().get(0));
        int count = g.texts().size();
        List<List<MultimodalFeatures>> out = new ArrayList<>(images);
        for (int i = 0; i < images; i++) {
            NDArray image = imageStates.get(new NDIndex("{}:{}", i, i + 1));
            List<MultimodalFeatures> row = new ArrayList<>(count);
            for (int start = 0; start < count; start += options.batchSize()) {
                int end = Math.min(count, start + options.batchSize());
                NDIndex rows = new NDIndex("{}:{}", start, end);
                NDArray ids = g.allIds().get(rows);
                NDArray mask = g.allMask().get(rows);
                NDArray states = model.isBlip2() ? model.blip2().encodeMultimodal(ids, mask, image)
                        : model.network().encodeMultimodal(ids, mask, image, null);
                int t = Math.toIntExact(states.getShape().get(1));
                int h = Math.toIntExact(states.getShape().get(2));
                float[] all = states.toFloatArray();
                states.close();
                for (int j = start; j < end; j++) {
                    int k = j - start;
                    int keep = options.padding() == Padding.NONE ? g.lengths()[j] : Math.toIntExact(ids.getShape().get(1));
                    // BLIP-2's states are its queries' (t of them), whatever the text's length.
                    int kept = model.isBlip2() ? t : keep;
                    row.add(new MultimodalFeatures(g.texts().get(j), Arrays.copyOf(g.ids()[j], keep), g.lengths()[j],
                            Arrays.copyOfRange(all, k * t * h, (k * t + kept) * h), h, model.isBlip2() ? t : 0));
                }
            }
            out.add(row);
        }
        return out;
    }

    private BatchEncoding encode(List<String> texts) {
        if (texts == null) {
            throw new InputException("texts must not be null");
        }
        int max = options.maxTextLength() > 0 ? options.maxTextLength()
                : model.isBlip2() ? model.blip2().config().qformer().maxPositions() : model.network().encoderPositions();
        // NONE computes on a padded batch (the pad positions are masked, so real positions are the
        // same numbers as one text alone, up to float rounding) and cuts the rows afterwards.
        return model.tokenizer().encodeBatch(texts, max,
                options.padding() == Padding.NONE ? Padding.LONGEST : options.padding());
    }

    private Blip requireEncoder(String task) {
        Blip net = model.network();
        if (!net.hasEncoder()) {
            throw new ModelException(model.info().weights() + ": " + task + " need a text encoder (text_encoder.*), "
                    + "which this " + net.config().kinds() + " checkpoint does not have");
        }
        return net;
    }

    private void requireCrossAttention() {
        if (model.isBlip2()) {
            return;
        }
        Blip net = requireEncoder("multimodal features");
        if (!net.hasMultimodalEncoder()) {
            throw new ModelException(model.info().weights() + ": multimodal features need the text encoder's "
                    + "cross-attention, which this checkpoint does not have");
        }
    }
}
