package dev.blip4j.models.matching;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.Blip;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.text.BatchEncoding;
import dev.blip4j.models.text.Padding;
import java.util.List;

/**
 * Texts as the official ITM and retrieval code feeds them to the text encoder:
 * {@code tokenizer(texts, padding='max_length', truncation=True, max_length=35)} (BLIP_ITM,
 * BLIP_Retrieval and {@code train_retrieval.py evaluation()} all use 35), so a longer text is
 * scored on its first 33 WordPiece tokens, between {@code [CLS]} and {@code [SEP]}.
 */
public final class MatchingText {

    /** {@code max_length} of the official ITM and retrieval tokenization, special tokens included. */
    public static final int MAX_LENGTH = 35;

    private MatchingText() {}

    /**
     * The texts padded to {@link #MAX_LENGTH}, first token {@code [CLS]} (the unimodal, ITC side);
     * for BLIP-2 to its {@code max_txt_len} (32 in LAVIS).
     */
    public static BatchEncoding encode(BlipModel model, List<String> texts) {
        int max = model.isBlip2() ? model.blip2().config().maxTextLength() : MAX_LENGTH;
        return model.tokenizer().encodeBatch(texts, max, Padding.MAX_LENGTH);
    }

    /**
     * The texts as retrieval cuts them: {@link #MAX_LENGTH} tokens for BLIP and for BLIP-2 alike
     * (LAVIS's {@code compute_sim_matrix} tokenizes with {@code max_length=35}, not {@code max_txt_len}).
     */
    public static BatchEncoding encodeForRetrieval(BlipModel model, List<String> texts) {
        return model.tokenizer().encodeBatch(texts, MAX_LENGTH, Padding.MAX_LENGTH);
    }

    /**
     * One search query cut as retrieval cuts it ({@link #encodeForRetrieval}) but not padded: padding
     * is masked out of every attention, so the {@code [CLS]} state the ITC and ITM heads read does not
     * depend on it (up to float rounding), and a 6-token query costs a sixth of a 35-token pass.
     */
    public static BatchEncoding encodeQuery(BlipModel model, String text) {
        return model.tokenizer().encodeBatch(List.of(text), MAX_LENGTH, Padding.LONGEST);
    }

    /**
     * The id of the image-grounded text's first token. BLIP-2 has no {@code [ENC]}: its ITM reads the
     * text as tokenized, {@code [CLS]} first, whatever {@code first} asks.
     */
    public static long firstTokenId(BlipModel model, FirstToken first) {
        return model.isBlip2() ? model.tokenizer().clsId() : first.id(model.tokenizer());
    }

    /** [B, T] token ids of an encoding, in {@code manager}. */
    public static NDArray ids(BatchEncoding e, NDManager manager) {
        return manager.create(e.flatIds(), new Shape(e.size(), e.width()));
    }

    /** [B, T] attention mask of an encoding, in {@code manager}. */
    public static NDArray mask(BatchEncoding e, NDManager manager) {
        return manager.create(e.flatAttentionMask(), new Shape(e.size(), e.width()));
    }

    /**
     * ITC text features [B, embedDim] of token ids and mask [B, T], {@code batchSize} texts per
     * pass, owned by the manager of the ids.
     */
    public static NDArray features(ImageTextNetwork net, NDArray ids, NDArray mask, int batchSize) {
        long count = ids.getShape().get(0);
        NDList features = new NDList();
        for (long start = 0; start < count; start += batchSize) {
            NDIndex rows = new NDIndex("{}:{}", start, Math.min(count, start + batchSize));
            features.add(net.textEmbedding(net.encodeText(ids.get(rows), mask.get(rows))));
        }
        if (features.size() == 1) {
            return features.get(0);
        }
        NDArray all = NDArrays.concat(features);
        features.close();
        return all;
    }

    /**
     * Refuses a model without the parts ITC and ITM need, naming what is missing: a text encoder
     * with cross-attention, {@code vision_proj}/{@code text_proj} and {@code itm_head}.
     *
     * @param task what the caller was going to do, for the message
     */
    public static void requireMatchingHeads(BlipModel model, String task) {
        if (model.isBlip2()) {
            return; // BLIP-2's first stage always has its Q-Former, projections and ITM head
        }
        Blip net = model.network();
        String missing = !net.hasEncoder() ? "a text encoder (text_encoder.*)"
                : !net.hasMultimodalEncoder() ? "the text encoder's cross-attention"
                : !net.hasItc() ? "the ITC projections vision_proj and text_proj"
                : !net.hasItm() ? "the ITM head itm_head"
                : null;
        if (missing != null) {
            throw new ModelException(model.info().weights() + ": " + task + " needs " + missing + ", which this "
                    + kinds(net) + " checkpoint does not have (use an ITM, retrieval or pre-trained checkpoint)");
        }
    }

    /** Refuses a model without the ITC projections (an index or ITC-only search needs only those). */
    public static void requireItc(BlipModel model, String task) {
        if (model.isBlip2()) {
            return;
        }
        Blip net = model.network();
        String missing = !net.hasEncoder() ? "a text encoder (text_encoder.*)"
                : !net.hasItc() ? "the ITC projections vision_proj and text_proj" : null;
        if (missing != null) {
            throw new ModelException(model.info().weights() + ": " + task + " needs " + missing + ", which this "
                    + kinds(net) + " checkpoint does not have (use an ITM, retrieval or pre-trained checkpoint)");
        }
    }

    private static String kinds(Blip net) {
        return net.config().kinds().stream().map(k -> k.name().toLowerCase(java.util.Locale.ROOT)).sorted().toList()
                .toString();
    }
}
