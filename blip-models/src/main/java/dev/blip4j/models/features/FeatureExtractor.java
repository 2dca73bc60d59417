package dev.blip4j.models.features;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.MatchingText;
import dev.blip4j.models.text.BatchEncoding;
import dev.blip4j.models.text.Padding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

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
 * text encoder, multimodal features its cross-attention. Texts are not cut at 35 tokens as in
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
        List<ImageFeatures> out = new ArrayList<>(images.size());
        try (NDManager m = model.network().newManager()) {
            for (int start = 0; start < images.size(); start += options.batchSize()) {
                try (NDManager bm = m.newSubManager()) {
                    List<RgbImage> batch = images.subList(start, Math.min(images.size(), start + options.batchSize()));
                    out.addAll(imageFeatures(model.network().encodeImage(model.pixels(batch, bm))));
                }
            }
        }
        return out;
    }

    /** Image features of normalised pixels [B, 3, S, S]; the array is not closed. */
    public List<ImageFeatures> imagesFromPixels(NDArray pixels) {
        int count = Math.toIntExact(pixels.getShape().get(0));
        List<ImageFeatures> out = new ArrayList<>(count);
        try (NDManager m = model.network().newManager()) {
            for (int start = 0; start < count; start += options.batchSize()) {
                try (NDManager bm = m.newSubManager()) {
                    out.addAll(imageFeatures(model.network().encodeImage(rows(pixels, start, Math.min(count, start + options.batchSize()), bm))));
                }
            }
        }
        return out;
    }

    /**
     * Features of image token states [B, N, W] already computed (e.g. by {@link Blip#encodeImage}):
     * the states copied out and, with {@code vision_proj}, their projections.
     */
    public List<ImageFeatures> imageFeatures(NDArray states) {
        Blip net = model.network();
        int b = Math.toIntExact(states.getShape().get(0));
        int n = Math.toIntExact(states.getShape().get(1));
        int w = Math.toIntExact(states.getShape().get(2));
        float[] all = states.toFloatArray();
        float[] feat = null;
        float[] tokens = null;
        int d = net.config().embedDim();
        if (net.hasItc()) {
            feat = net.imageEmbedding(states).toFloatArray();
            tokens = net.imageEmbedding(states.reshape(b * (long) n, 1, w)).toFloatArray();
        }
        List<ImageFeatures> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            out.add(new ImageFeatures(Arrays.copyOfRange(all, i * n * w, (i + 1) * n * w), n, w,
                    feat == null ? null : Arrays.copyOfRange(feat, i * d, (i + 1) * d),
                    tokens == null ? null : Arrays.copyOfRange(tokens, i * n * d, (i + 1) * n * d)));
        }
        return out;
    }

    public TextFeatures text(String text) {
        return texts(List.of(text)).get(0);
    }

    /** Unimodal text features, in text order. */
    public List<TextFeatures> texts(List<String> texts) {
        Blip net = requireEncoder("text features");
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
                    NDArray rowIds = rows(allIds, start, end, bm);
                    NDArray states = net.encodeText(rowIds, rows(allMask, start, end, bm));
                    int b = end - start;
                    int t = Math.toIntExact(states.getShape().get(1));
                    int h = Math.toIntExact(states.getShape().get(2));
                    float[] all = states.toFloatArray();
                    float[] feat = null;
                    float[] tokens = null;
                    int d = net.config().embedDim();
                    if (net.hasItc()) {
                        feat = net.textEmbedding(states).toFloatArray();
                        tokens = net.textEmbedding(states.reshape(b * (long) t, 1, h)).toFloatArray();
                    }
                    for (int i = 0; i < b; i++) {
                        int row = start + i;
                        int keep = options.padding() == Padding.NONE ? lengths[row] : t;
                        out.add(new TextFeatures(texts.get(row), Arrays.copyOf(ids[row], keep), lengths[row],
                                Arrays.copyOfRange(all, i * t * h, (i * t + keep) * h), h,
                                feat == null ? null : Arrays.copyOfRange(feat, i * d, (i + 1) * d),
                                tokens == null ? null : Arrays.copyOfRange(tokens, i * t * d, (i * t + keep) * d)));
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
        requireCrossAttention();
        List<List<MultimodalFeatures>> out = new ArrayList<>(images.size());
        try (NDManager m = model.network().newManager()) {
            Grounding g = grounding(texts, m);
            for (int start = 0; start < images.size(); start += options.batchSize()) {
                try (NDManager bm = m.newSubManager()) {
                    List<RgbImage> batch = images.subList(start, Math.min(images.size(), start + options.batchSize()));
                    out.addAll(multimodal(model.network().encodeImage(model.pixels(batch, bm)), g));
                }
            }
        }
        return out;
    }

    /** As {@link #multimodal(List, List)} from normalised pixels [B, 3, S, S]; the array is not closed. */
    public List<List<MultimodalFeatures>> multimodalFromPixels(NDArray pixels, List<String> texts) {
        requireCrossAttention();
        int count = Math.toIntExact(pixels.getShape().get(0));
        List<List<MultimodalFeatures>> out = new ArrayList<>(count);
        try (NDManager m = model.network().newManager()) {
            Grounding g = grounding(texts, m);
            for (int start = 0; start < count; start += options.batchSize()) {
                try (NDManager bm = m.newSubManager()) {
                    out.addAll(multimodal(model.network().encodeImage(rows(pixels, start, Math.min(count, start + options.batchSize()), bm)), g));
                }
            }
        }
        return out;
    }

    /** The texts' tokens with {@code [ENC]} first, as {@code BLIP_Base} feeds them. */
    private record Grounding(List<String> texts, long[][] ids, int[] lengths, NDArray allIds, NDArray allMask) {}

    private Grounding grounding(List<String> texts, NDManager m) {
        BatchEncoding enc = encode(texts).withFirstToken(model.tokenizer().encId());
        return new Grounding(texts, enc.ids(), enc.lengths(), MatchingText.ids(enc, m), MatchingText.mask(enc, m));
    }

    private List<List<MultimodalFeatures>> multimodal(NDArray imageStates, Grounding g) {
        Blip net = model.network();
        int images = Math.toIntExact(imageStates.getShape().get(0));
        int count = g.texts().size();
        List<List<MultimodalFeatures>> out = new ArrayList<>(images);
        for (int i = 0; i < images; i++) {
            NDArray image = imageStates.get(new NDIndex("{}:{}", i, i + 1));
            List<MultimodalFeatures> row = new ArrayList<>(count);
            for (int start = 0; start < count; start += options.batchSize()) {
                int end = Math.min(count, start + options.batchSize());
                NDIndex rows = new NDIndex("{}:{}", start, end);
                NDArray states = net.encodeMultimodal(g.allIds().get(rows), g.allMask().get(rows), image, null);
                int t = Math.toIntExact(states.getShape().get(1));
                int h = Math.toIntExact(states.getShape().get(2));
                float[] all = states.toFloatArray();
                states.close();
                for (int j = start; j < end; j++) {
                    int k = j - start;
                    int keep = options.padding() == Padding.NONE ? g.lengths()[j] : t;
                    row.add(new MultimodalFeatures(g.texts().get(j), Arrays.copyOf(g.ids()[j], keep), g.lengths()[j],
                            Arrays.copyOfRange(all, k * t * h, (k * t + keep) * h), h));
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
                : model.network().encoderPositions();
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
        Blip net = requireEncoder("multimodal features");
        if (!net.hasMultimodalEncoder()) {
            throw new ModelException(model.info().weights() + ": multimodal features need the text encoder's "
                    + "cross-attention, which this checkpoint does not have");
        }
    }

    /** Rows [start, end) of {@code array}, owned by {@code manager}. */
    private static NDArray rows(NDArray array, int start, int end, NDManager manager) {
        NDArray s = array.get(new NDIndex("{}:{}", start, end));
        s.attach(manager);
        return s;
    }
}
