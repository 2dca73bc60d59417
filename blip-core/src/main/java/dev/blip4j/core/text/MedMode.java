package dev.blip4j.core.text;

/**
 * The three ways BLIP's multimodal mixture of encoder-decoder (MED) runs one BERT stack. The
 * layers are the same; a mode only decides whether self-attention looks ahead and whether the
 * cross-attention to the image runs.
 */
public enum MedMode {
    /** Unimodal text encoder, for ITC: bidirectional, no image. First token {@code [CLS]}. */
    TEXT(false, false),
    /** Image-grounded text encoder, for ITM and VQA questions: bidirectional, attends to the image. First token {@code [ENC]}. */
    MULTIMODAL(true, false),
    /** Image-grounded text decoder, for captions and answers: causal, attends to the image. First token {@code [DEC]}. */
    DECODER(true, true);

    private final boolean crossAttends;
    private final boolean causal;

    MedMode(boolean crossAttends, boolean causal) {
        this.crossAttends = crossAttends;
        this.causal = causal;
    }

    public boolean crossAttends() {
        return crossAttends;
    }

    public boolean causal() {
        return causal;
    }
}
