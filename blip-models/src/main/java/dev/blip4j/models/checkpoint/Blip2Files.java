package dev.blip4j.models.checkpoint;

import dev.blip4j.core.ModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BLIP-2's two-file form. LAVIS saves only trainable weights, so its pre-trained
 * {@code blip2_pretrained.pth} holds the Q-Former, {@code ln_vision} and the heads but not the frozen
 * ViT, which LAVIS's {@code create_eva_vit_g} reads from {@code eva_vit_g.pth}: a bare state dict of
 * the EVA {@code VisionTransformer} ({@code cls_token}, {@code pos_embed}, {@code patch_embed.*},
 * {@code blocks.N.*}). The COCO fine-tuned checkpoint trained the ViT too and holds everything.
 */
public final class Blip2Files {

    /** The separate ViT file, expected beside the checkpoint. */
    public static final String EVA_VIT_G = "eva_vit_g.pth";

    private static final Pattern BLOCK = Pattern.compile("^blocks\\.(\\d+)\\..*");

    /**
     * Keys of an EVA-CLIP vision tower that LAVIS's ViT does not have (its final norm and head
     * are commented out) and that its {@code load_state_dict(strict=False)} skips.
     */
    private static final Pattern NOT_IN_LAVIS_VIT = Pattern.compile("^(norm|fc_norm|head)\\..*");

    private Blip2Files() {}

    /**
     * A LAVIS state dict together with the ViT's: the checkpoint's tensors, then the separate file's
     * under {@code visual_encoder.}, except blocks past {@code depth} (LAVIS builds 39 blocks for
     * ViT-g: BLIP-2 drops EVA-CLIP's last one) and the tower's own norm and head.
     *
     * @param depth the blocks LAVIS builds, or null to take every block in the file
     */
    public static Merged withVit(Map<String, TensorData> checkpoint, Path vitFile, Integer depth) {
        if (!Files.isRegularFile(vitFile)) {
            throw new ModelException(vitFile.getParent() + ": this BLIP-2 checkpoint holds no ViT weights (LAVIS leaves "
                    + "the frozen ViT out of blip2_pretrained.pth); put LAVIS's " + EVA_VIT_G + " beside it");
        }
        Map<String, TensorData> vit = TorchCheckpoint.read(vitFile).tensors();
        Map<String, TensorData> all = new LinkedHashMap<>(checkpoint);
        int dropped = 0;
        for (Map.Entry<String, TensorData> e : vit.entrySet()) {
            String key = e.getKey().startsWith(Blip2Assembler.VISION) ? e.getKey().substring(Blip2Assembler.VISION.length())
                    : e.getKey();
            Matcher block = BLOCK.matcher(key);
            if (NOT_IN_LAVIS_VIT.matcher(key).matches()
                    || depth != null && block.matches() && Integer.parseInt(block.group(1)) >= depth) {
                dropped++;
                continue;
            }
            if (all.put(Blip2Assembler.VISION + key, e.getValue()) != null) {
                throw new ModelException(vitFile + ": tensor '" + key + "' is also in the checkpoint");
            }
        }
        return new Merged(all, dropped);
    }

    /**
     * @param tensors the checkpoint's and the ViT file's tensors
     * @param ignored the ViT file's tensors LAVIS does not load
     */
    public record Merged(Map<String, TensorData> tensors, int ignored) {}
}
