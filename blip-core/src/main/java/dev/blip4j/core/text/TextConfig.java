package dev.blip4j.core.text;

import dev.blip4j.core.ModelException;

/**
 * Shape of BLIP's BERT ({@code med_config.json} or HF {@code text_config}). BLIP-base: vocabulary 30524
 * (bert-base-uncased plus {@code [DEC]} and {@code [ENC]}), hidden 768, 12 layers, 12 heads,
 * intermediate 3072, 512 positions, LayerNorm eps 1e-12, cross-attention over {@code encoderWidth}-wide
 * states (the vision width).
 */
public record TextConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions,
        float layerNormEps, int encoderWidth) {

    public TextConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hidden);
        positive("num_hidden_layers", layers);
        positive("num_attention_heads", heads);
        positive("intermediate_size", intermediate);
        positive("max_position_embeddings", maxPositions);
        positive("encoder_width", encoderWidth);
        if (hidden % heads != 0) {
            throw new ModelException("text hidden_size " + hidden + " is not divisible by " + heads + " heads");
        }
        if (!(layerNormEps > 0)) {
            throw new ModelException("text layer_norm_eps must be positive, got " + layerNormEps);
        }
    }

    private static void positive(String what, int value) {
        if (value <= 0) {
            throw new ModelException("text " + what + " must be positive, got " + value);
        }
    }
}
