package dev.blip4j.models.testing;

import dev.blip4j.models.checkpoint.TensorData;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A one-file BLIP-2 stage-1 state dict cut the way LAVIS ships it: the Q-Former and its heads in
 * {@code blip2_pretrained.pth}, the frozen ViT in {@code eva_vit_g.pth} without its
 * {@code visual_encoder.} prefix. Both maps are mutable, for tests that add to them.
 */
public record LavisSplit(Map<String, TensorData> qformer, Map<String, TensorData> vit) {

    private static final String VIT = "visual_encoder.";

    public static LavisSplit of(Map<String, TensorData> all) {
        Map<String, TensorData> qformer = new LinkedHashMap<>();
        Map<String, TensorData> vit = new LinkedHashMap<>();
        all.forEach((k, t) -> {
            if (k.startsWith(VIT)) {
                vit.put(k.substring(VIT.length()), t);
            } else {
                qformer.put(k, t);
            }
        });
        return new LavisSplit(qformer, vit);
    }
}
