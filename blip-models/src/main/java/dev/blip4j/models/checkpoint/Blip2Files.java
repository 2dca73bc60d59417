package dev.blip4j.models.checkpoint;

import dev.blip4j.core.ModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    private static final Pattern BLOCK = Pattern.compile("^blocks\\.(\\d{1,9})\\..*");

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
        int[] dropped = {0};
        // Chosen by name before any storage is read: LAVIS's dropped keys cost nothing, unknown ones refuse the file.
        Map<String, TensorData> vit = TorchCheckpoint.read(vitFile, names -> {
            Set<String> wanted = new LinkedHashSet<>();
            List<String> unknown = new ArrayList<>();
            for (String name : names) {
                String key = vitKey(name);
                Matcher block = BLOCK.matcher(key);
                if (NOT_IN_LAVIS_VIT.matcher(key).matches()
                        || depth != null && block.matches() && Long.parseLong(block.group(1)) >= depth) {
                    dropped[0]++;
                } else if (KeyNames.BLIP2.isKnown(Blip2Assembler.VISION + key)) {
                    wanted.add(name);
                } else {
                    unknown.add(name);
                }
            }
            if (!unknown.isEmpty()) {
                throw Weights.unexpected(vitFile.toString(), unknown);
            }
            return wanted;
        }).tensors();
        Map<String, TensorData> all = new LinkedHashMap<>(checkpoint);
        for (Map.Entry<String, TensorData> e : vit.entrySet()) {
            String key = vitKey(e.getKey());
            if (all.put(Blip2Assembler.VISION + key, e.getValue()) != null) {
                throw new ModelException(vitFile + ": tensor '" + key + "' is also in the checkpoint");
            }
        }
        return new Merged(all, dropped[0]);
    }

    /** A ViT file's key without the {@code visual_encoder.} some copies of it carry. */
    private static String vitKey(String name) {
        return name.startsWith(Blip2Assembler.VISION) ? name.substring(Blip2Assembler.VISION.length()) : name;
    }

    /**
     * @param tensors the checkpoint's and the ViT file's tensors
     * @param ignored the ViT file's tensors LAVIS does not load
     */
    public record Merged(Map<String, TensorData> tensors, int ignored) {}
}
