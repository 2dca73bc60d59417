package dev.blip4j.models.config;

/**
 * What a BLIP-2 checkpoint's configuration says about its shape ({@code blip2_config.json} beside a
 * LAVIS {@code .pth}, or an HF {@code config.json} of {@code model_type} {@code blip-2}); null where
 * it is silent, in which case the tensors and the released checkpoints' values decide.
 *
 * @param base the ViT and Q-Former sizes, in BLIP's terms (the Q-Former as the text model)
 * @param lnVisionEps epsilon of {@code ln_vision} (LAVIS: torch's default 1e-5)
 * @param crossAttentionFreq every how many Q-Former layers the queries cross-attend
 * @param queries learned query tokens
 * @param embedDim ITC projection width
 * @param maxTextLength tokens a matched text is cut to ({@code max_txt_len})
 */
public record Blip2Hints(ConfigHints base, Float lnVisionEps, Integer crossAttentionFreq, Integer queries,
        Integer embedDim, Integer maxTextLength) {

    public static Blip2Hints none() {
        return new Blip2Hints(ConfigHints.none(), null, null, null, null, null);
    }
}
