package dev.blip4j.core.blip2;

import dev.blip4j.core.text.MedMode;

/**
 * The three ways BLIP-2's Q-Former runs, as LAVIS's {@code Blip2Qformer} calls {@code Qformer.bert}.
 * The layers are the MED's ({@link MedMode}): queries and text share self-attention, only the
 * queries cross-attend to the image.
 */
public enum QueryMode {
    /** Queries alone, cross-attending to the image: image features, ITC's image side. */
    IMAGE(true, false),
    /** Text alone, no queries, no image (BLIP's unimodal encoder): text features, ITC's text side. */
    TEXT(false, true),
    /** Queries and text attend to each other, the queries also to the image: ITM. */
    MULTIMODAL(true, true);

    private final boolean queries;
    private final boolean text;

    QueryMode(boolean queries, boolean text) {
        this.queries = queries;
        this.text = text;
    }

    /** Whether the learned queries run (and with them the image). */
    public boolean queries() {
        return queries;
    }

    /** Whether text tokens run. */
    public boolean text() {
        return text;
    }

    /** The MED mode of the layers: bidirectional, cross-attending exactly when queries run. */
    public MedMode med() {
        return queries ? MedMode.MULTIMODAL : MedMode.TEXT;
    }
}
