package dev.blip4j.models.nlvr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.DistinctImages;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.BatchEncoding;
import dev.blip4j.models.text.Padding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * NLVR2, natural-language visual reasoning: is a sentence true of a pair of images? As the official
 * {@code BLIP_NLVR}: both images go through the ViT, the sentence ({@code [ENC]} first, padded to
 * the longest of its batch) through the text encoder whose every layer cross-attends to both
 * images, and {@code cls_head} reads the first token; {@code softmax(logits)[1]} is the probability
 * that the sentence is true. Sentences are cut at the text encoder's position table (512 tokens
 * for BLIP), where the official code, which does not truncate, would fail.
 *
 * <p>Thread-safe: every call has its own arrays.
 */
public final class NlvrClassifier {

    private final BlipModel model;
    private final NlvrOptions options;

    public NlvrClassifier(BlipModel model) {
        this(model, NlvrOptions.defaults());
    }

    /** @throws ModelException if the checkpoint is not an NLVR2 one */
    public NlvrClassifier(BlipModel model, NlvrOptions options) {
        if (!model.network().hasNlvr()) {
            throw new ModelException(model.info().weights() + ": NLVR2 needs a BLIP_NLVR checkpoint (twinned "
                    + "cross-attention and cls_head, e.g. model_base_nlvr.pth); this one is "
                    + model.network().config().kinds());
        }
        this.model = model;
        this.options = options;
    }

    public List<NlvrResult> classify(Path first, Path second, List<String> texts) {
        return classify(model.readImage(first), model.readImage(second), texts);
    }

    /** Every sentence about one pair of images, in order. */
    public List<NlvrResult> classify(RgbImage first, RgbImage second, List<String> texts) {
        if (texts == null) {
            throw new InputException("texts must not be null");
        }
        return classify(texts.stream().map(t -> new NlvrQuery(first, second, t)).toList());
    }

    /** Many (pair, sentence) rows, in order; each distinct image is encoded once. */
    public List<NlvrResult> classify(List<NlvrQuery> queries) {
        if (queries == null) {
            throw new InputException("the NLVR2 queries must not be null");
        }
        if (queries.isEmpty()) {
            return List.of();
        }
        // Row 2q is query q's first image, row 2q + 1 its second.
        List<RgbImage> sides = new ArrayList<>(2 * queries.size());
        List<String> texts = new ArrayList<>(queries.size());
        for (int i = 0; i < queries.size(); i++) {
            NlvrQuery q = queries.get(i);
            if (q == null || q.text() == null) {
                throw new InputException("NLVR2 query " + i + (q == null ? " is null" : " has no text"));
            }
            sides.add(q.first());
            sides.add(q.second());
            texts.add(q.text());
        }
        DistinctImages images = DistinctImages.of(sides, i -> (i % 2 == 0 ? "the first" : "the second")
                + " image of NLVR2 query " + i / 2);
        Blip net = model.network();
        List<NlvrResult> out = new ArrayList<>(queries.size());
        try (NDManager m = net.newManager()) {
            NDArray states = images.encode(model, options.imageBatchSize(), m);
            for (int start = 0; start < texts.size(); start += options.textBatchSize()) {
                int end = Math.min(texts.size(), start + options.textBatchSize());
                try (NDManager bm = m.newSubManager()) {
                    NDArray[] text = encodeTexts(texts.subList(start, end), bm);
                    NDArray first = images.ofPairs(states, IntStream.range(start, end).map(q -> 2 * q), bm);
                    NDArray second = images.ofPairs(states, IntStream.range(start, end).map(q -> 2 * q + 1), bm);
                    NDArray logits = net.nlvrLogits(net.encodeMultimodalPair(text[0], text[1], first, second));
                    float[] l = logits.toFloatArray();
                    float[] p = logits.softmax(-1).get(":, 1").toFloatArray();
                    for (int r = 0; r < end - start; r++) {
                        out.add(new NlvrResult(texts.get(start + r), p[r], l[2 * r], l[2 * r + 1],
                                l[2 * r + 1] > l[2 * r]));
                    }
                }
            }
        }
        return out;
    }

    /** Ids ({@code [ENC]} first) and mask [B, T] of sentences padded to the longest, in {@code manager}. */
    private NDArray[] encodeTexts(List<String> texts, NDManager manager) {
        int positions = model.network().encoderPositions();
        BatchEncoding enc = model.tokenizer().encodeBatch(texts, positions, Padding.LONGEST)
                .withFirstToken(model.tokenizer().encId());
        Shape shape = new Shape(enc.size(), enc.width());
        return new NDArray[] {manager.create(enc.flatIds(), shape), manager.create(enc.flatAttentionMask(), shape)};
    }
}
