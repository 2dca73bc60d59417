package dev.blip4j.models.matching;

import dev.blip4j.models.text.BlipTokenizer;

/**
 * The first token of the text the image-grounded encoder reads. BLIP pre-training and the
 * retrieval fine-tuning put {@code [ENC]} there ({@code text_ids[:,0] = tokenizer.enc_token_id} in
 * {@code BLIP_Retrieval.forward} and {@code train_retrieval.py evaluation()}, and
 * {@code BLIP_Base.forward(mode='multimodal')}); the released {@code BLIP_ITM.forward(match_head='itm')}
 * and HuggingFace's {@code BlipForImageTextRetrieval} keep the tokenizer's {@code [CLS]}. The two give
 * different ITM scores on the same weights, so callers choose.
 */
public enum FirstToken {
    /** {@code [ENC]}: what the model was trained with; the default of retrieval re-ranking and evaluation. */
    ENC,
    /** {@code [CLS]}: what {@code BLIP_ITM} and HF do; the default of {@link ImageTextMatcher}. */
    CLS;

    /** The token id in {@code tokenizer}. */
    public long id(BlipTokenizer tokenizer) {
        return this == ENC ? tokenizer.encId() : tokenizer.clsId();
    }
}
