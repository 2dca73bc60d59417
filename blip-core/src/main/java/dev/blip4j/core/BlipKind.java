package dev.blip4j.core;

/**
 * What a checkpoint was trained for, which decides the parts it holds. Names follow the official
 * model classes.
 */
public enum BlipKind {
    /** {@code BLIP_Decoder}: ViT + image-grounded decoder with LM head. */
    CAPTION,
    /** {@code BLIP_ITM} and {@code BLIP_Retrieval}: ViT + text encoder + ITC projections + ITM head. */
    ITM,
    /** {@code BLIP_VQA}: ViT + image-grounded question encoder + answer decoder (not tied). */
    VQA,
    /** {@code BLIP_Base}: ViT + text encoder with cross-attention, no heads. */
    FEATURE,
    /** {@code BLIP_Pretrain}: everything, encoder and decoder sharing all but self-attention. */
    PRETRAIN,
    /** {@code BLIP_NLVR}: ViT + text encoder whose cross-attention is twinned over two images + {@code cls_head}. */
    NLVR
}
