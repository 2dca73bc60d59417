package dev.blip4j.models.checkpoint;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The names of weights, in one place. Inside blip4j every weight goes by its name in the official
 * Salesforce state dict ({@code visual_encoder.blocks.0.attn.qkv.weight}); HuggingFace checkpoints
 * are renamed to it with the rules of transformers' {@code convert_blip_original_pytorch_to_hf.py}
 * run backwards. Text trees are named alike in both layouts.
 */
public final class KeyNames {

    /** HF name pattern to official name, applied in order, first match wins. */
    private record Rename(Pattern hf, String official) {}

    private static final List<Rename> HF_TO_OFFICIAL = List.of(
            rename("^vision_model\\.embeddings\\.class_embedding$", "visual_encoder.cls_token"),
            rename("^vision_model\\.embeddings\\.position_embedding$", "visual_encoder.pos_embed"),
            rename("^vision_model\\.embeddings\\.patch_embedding\\.(weight|bias)$", "visual_encoder.patch_embed.proj.$1"),
            rename("^vision_model\\.encoder\\.layers\\.(\\d+)\\.layer_norm1\\.(.*)$", "visual_encoder.blocks.$1.norm1.$2"),
            rename("^vision_model\\.encoder\\.layers\\.(\\d+)\\.layer_norm2\\.(.*)$", "visual_encoder.blocks.$1.norm2.$2"),
            rename("^vision_model\\.encoder\\.layers\\.(\\d+)\\.self_attn\\.qkv\\.(.*)$", "visual_encoder.blocks.$1.attn.qkv.$2"),
            rename("^vision_model\\.encoder\\.layers\\.(\\d+)\\.self_attn\\.projection\\.(.*)$", "visual_encoder.blocks.$1.attn.proj.$2"),
            rename("^vision_model\\.encoder\\.layers\\.(\\d+)\\.mlp\\.(fc[12])\\.(.*)$", "visual_encoder.blocks.$1.mlp.$2.$3"),
            rename("^vision_model\\.post_layernorm\\.(.*)$", "visual_encoder.norm.$1"),
            rename("^text_model\\.(.*)$", "text_encoder.$1"));

    /**
     * Keys an inference model does not use: momentum encoders and queues of pre-training and
     * retrieval, the temperature, position-id buffers, and HF {@code BlipModel}'s pooler and CLIP-style
     * projections, which BLIP's feature extractor does not have.
     */
    private static final List<Pattern> IGNORED = List.of(
            Pattern.compile("^(visual_encoder|vision_proj|text_encoder|text_proj|text_decoder)_m\\..*"),
            Pattern.compile("^(image|text|idx|ptr)_queue$"),
            Pattern.compile("^queue_ptr$"),
            Pattern.compile("^temp$"),
            Pattern.compile(".*\\.position_ids$"),
            Pattern.compile("^text_encoder\\.pooler\\..*"),
            Pattern.compile("^(visual_projection|text_projection)\\..*"),
            Pattern.compile("^logit_scale$"));

    private KeyNames() {}

    private static Rename rename(String hf, String official) {
        return new Rename(Pattern.compile(hf), official);
    }

    /** The official name of a key of the given layout. */
    public static String official(String key, Layout layout) {
        if (layout == Layout.ORIGINAL) {
            return key;
        }
        for (Rename r : HF_TO_OFFICIAL) {
            var m = r.hf().matcher(key);
            if (m.matches()) {
                return m.replaceFirst(r.official());
            }
        }
        return key;
    }

    public static boolean ignored(String officialKey) {
        for (Pattern p : IGNORED) {
            if (p.matcher(officialKey).matches()) {
                return true;
            }
        }
        return false;
    }
}
