package dev.blip4j.models.matching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.gradcam.AttentionLeaf;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.BlipTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Which image patches each word of a matched text relies on: LAVIS's {@code compute_gradcam} for
 * BLIP's ITM head. The text (alone, unpadded, cut at 35 tokens as for matching) goes through the
 * image-grounded encoder; the match logit (index 1 of {@code itm_head}) is backpropagated to the
 * cross-attention probabilities of text layer {@link #layer()}; per token, the probabilities times
 * their gradient clamped at zero, averaged over heads, without the image {@code [CLS]}, laid out on
 * the patch grid. The words map averages the tokens between the first token and {@code [SEP]}.
 *
 * <p>Only this class computes gradients, with DJL's autograd on the PyTorch engine, inside
 * {@link BlipEngine#withGradients}; everything it creates is closed before a call returns, and the
 * other tasks' passes never record a graph. Thread-safe; concurrent calls take turns.
 */
public final class ItmGradCam {

    private static final String TASK = "Grad-CAM of image-text matching";

    private final BlipModel model;
    private final MatchOptions options;
    private final int layer;

    /** The matcher's defaults ({@code [CLS]} first) and layer {@link #defaultLayer}. */
    public ItmGradCam(BlipModel model) {
        this(model, MatchOptions.defaults(), defaultLayer(model));
    }

    /**
     * @param options the first token ({@code [ENC]} is what LAVIS uses; ITC and batch sizes play no part)
     * @param layer the text layer to read, from 0
     * @throws dev.blip4j.core.ModelException if the checkpoint has no ITM head
     * @throws InputException if the text encoder has no such layer
     */
    public ItmGradCam(BlipModel model, MatchOptions options, int layer) {
        MatchingText.requireMatchingHeads(model, TASK);
        int layers = model.network().encoderLayers();
        if (layer < 0 || layer >= layers) {
            throw new InputException("Grad-CAM layer " + layer + " does not exist: the text encoder has layers 0 to "
                    + (layers - 1));
        }
        this.model = model;
        this.options = options;
        this.layer = layer;
    }

    /**
     * LAVIS reads layer 6 of BLIP's 12; for other depths the middle layer, {@code layers / 2}, but
     * never the last one (unless it is the only one): there the ITM head, which reads the first
     * token, depends on no other token's cross-attention, so every word's map would be zero.
     */
    public static int defaultLayer(BlipModel model) {
        MatchingText.requireMatchingHeads(model, TASK);
        int layers = model.network().encoderLayers();
        return Math.max(0, Math.min(layers / 2, layers - 2));
    }

    public int layer() {
        return layer;
    }

    public MatchGradCam explain(Path image, String text) {
        return explain(model.readImage(image), List.of(text)).get(0);
    }

    public MatchGradCam explain(RgbImage image, String text) {
        return explain(image, List.of(text)).get(0);
    }

    /** Each text against one image, in order; the image is encoded once. */
    public List<MatchGradCam> explain(RgbImage image, List<String> texts) {
        if (texts == null || texts.stream().anyMatch(java.util.Objects::isNull)) {
            throw new InputException("texts must not be null");
        }
        Blip net = model.network();
        List<MatchGradCam> out = new ArrayList<>(texts.size());
        try (NDManager m = net.newManager()) {
            NDArray states = net.encodeImage(model.pixels(List.of(image), m));
            for (String text : texts) {
                try (NDManager tm = m.newSubManager()) {
                    out.add(explain(states, text, tm));
                }
            }
        }
        return out;
    }

    private MatchGradCam explain(NDArray imageStates, String text, NDManager m) {
        Blip net = model.network();
        BlipTokenizer tokenizer = model.tokenizer();
        long[] ids = tokenizer.encode(text, MatchingText.MAX_LENGTH).withFirstToken(options.firstToken().id(tokenizer))
                .ids();
        NDArray idArray = m.create(ids, new Shape(1, ids.length));
        AttentionLeaf leaf = new AttentionLeaf(m);
        NDArray logits = BlipEngine.withGradients(gradients -> {
            NDArray l = net.itmLogits(net.encodeMultimodal(idArray, null, imageStates, null, leaf.at(layer)));
            gradients.backward(l.get(":, 1").sum());
            return l.stopGradient().toType(DataType.FLOAT32, false);
        });
        double itm = logits.softmax(-1).getFloat(0, 1);
        NDArray cam = leaf.gradCam();
        int patches = Math.toIntExact(cam.getShape().get(2));
        float[] maps = cam.toType(DataType.FLOAT32, false).toFloatArray();
        int[] words = IntStream.range(1, ids.length - 1).toArray();
        return new MatchGradCam(text, itm, GradCam.of(layer, patches, tokenizer.tokens(ids), maps, words));
    }
}
