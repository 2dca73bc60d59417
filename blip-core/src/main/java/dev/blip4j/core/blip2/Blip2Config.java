package dev.blip4j.core.blip2;

import dev.blip4j.core.ModelException;
import dev.blip4j.core.text.TextConfig;
import dev.blip4j.core.vision.VisionConfig;
import java.util.List;

/**
 * The whole shape of a BLIP-2 first stage. The released checkpoints: EVA ViT-g/14 (width 1408,
 * 39 blocks, 16 heads of 88, MLP 6144, 224 px, or 364 px fine-tuned on COCO) and a BERT-base
 * Q-Former (768 wide, 12 layers of 12 heads, cross-attention in every 2nd layer) with 32 queries
 * and 256-wide ITC projections.
 *
 * @param vision the frozen ViT; its final LayerNorm is LAVIS's {@code ln_vision}
 * @param lnVisionEps {@code ln_vision}'s epsilon (torch's default 1e-5; the blocks use 1e-6)
 * @param qformer the Q-Former's BERT; {@code encoderWidth} is the ViT width
 * @param queries learned query tokens ({@code num_query_token})
 * @param crossAttentionLayers the Q-Former layers whose queries cross-attend to the image
 * @param embedDim ITC projection width
 * @param maxTextLength tokens a text is cut to for matching ({@code max_txt_len}, 32 in LAVIS)
 */
public record Blip2Config(VisionConfig vision, float lnVisionEps, TextConfig qformer, int queries,
        List<Integer> crossAttentionLayers, int embedDim, int maxTextLength) {

    public Blip2Config {
        crossAttentionLayers = List.copyOf(crossAttentionLayers);
        if (queries <= 0 || embedDim <= 0 || maxTextLength <= 0) {
            throw new ModelException("BLIP-2 queries (" + queries + "), embed_dim (" + embedDim + ") and max_txt_len ("
                    + maxTextLength + ") must be positive");
        }
        if (crossAttentionLayers.isEmpty()) {
            throw new ModelException("a Q-Former needs cross-attention in at least one layer");
        }
        if (qformer.encoderWidth() != vision.width()) {
            throw new ModelException("the Q-Former cross-attends to " + qformer.encoderWidth()
                    + "-wide states but the ViT is " + vision.width() + " wide");
        }
    }
}
