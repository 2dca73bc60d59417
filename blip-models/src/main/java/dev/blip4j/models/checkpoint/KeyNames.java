package dev.blip4j.models.checkpoint;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The names of weights, in one place. Inside blip4j every weight goes by its name in the official
 * Salesforce state dict ({@code visual_encoder.blocks.0.attn.qkv.weight}). One table of renames,
 * the rules of transformers' {@code convert_blip_original_pytorch_to_hf.py}, is read both ways:
 * HF checkpoints are renamed to official names when loaded, and {@code blip convert} renames
 * official names to HF's when it writes. Text trees are named alike in both layouts, except that
 * HF's {@code BlipModel} (the feature extractor) calls the text encoder {@code text_model}.
 *
 * <p>BLIP-2 has a table of its own ({@link #BLIP2}): LAVIS's names are the official ones, and
 * transformers' {@code convert_blip_2_original_to_pytorch.py} gives the HF side.
 */
public final class KeyNames {

    /**
     * One rename. Both sides are templates in which {@code {n}} stands for a layer number and
     * {@code {p}} for the rest of the name; the placeholders appear in the same order on both sides.
     *
     * @param blipModelOnly official to HF applies only when writing HF's {@code BlipModel}
     */
    private record Rename(Pattern hf, Pattern official, String toOfficial, String toHf, boolean blipModelOnly) {}

    /** The ViT's blocks and embeddings, named alike by BLIP and BLIP-2 (EVA's ViT is BLIP's with other biases). */
    private static final List<Rename> VIT_RENAMES = List.of(
            rename("vision_model.embeddings.class_embedding", "visual_encoder.cls_token"),
            rename("vision_model.embeddings.position_embedding", "visual_encoder.pos_embed"),
            rename("vision_model.embeddings.patch_embedding.{p}", "visual_encoder.patch_embed.proj.{p}"),
            rename("vision_model.encoder.layers.{n}.layer_norm1.{p}", "visual_encoder.blocks.{n}.norm1.{p}"),
            rename("vision_model.encoder.layers.{n}.layer_norm2.{p}", "visual_encoder.blocks.{n}.norm2.{p}"),
            rename("vision_model.encoder.layers.{n}.self_attn.qkv.{p}", "visual_encoder.blocks.{n}.attn.qkv.{p}"),
            rename("vision_model.encoder.layers.{n}.self_attn.projection.{p}", "visual_encoder.blocks.{n}.attn.proj.{p}"),
            rename("vision_model.encoder.layers.{n}.mlp.{p}", "visual_encoder.blocks.{n}.mlp.{p}"));

    private static final List<Rename> BLIP_RENAMES = concat(VIT_RENAMES, List.of(
            rename("vision_model.post_layernorm.{p}", "visual_encoder.norm.{p}"),
            new Rename(template("text_model.{p}"), template("text_encoder.{p}"),
                    replacement("text_encoder.{p}"), replacement("text_model.{p}"), true)));

    /**
     * Keys an inference model does not use: momentum encoders and queues of pre-training and
     * retrieval, the temperature, position-id buffers, and HF {@code BlipModel}'s pooler and CLIP-style
     * projections, which BLIP's feature extractor does not have.
     */
    private static final List<Pattern> BLIP_IGNORED = List.of(
            Pattern.compile("^(visual_encoder|vision_proj|text_encoder|text_proj|text_decoder)_m\\..*"),
            Pattern.compile("^(image|text|idx|ptr)_queue$"),
            Pattern.compile("^queue_ptr$"),
            Pattern.compile("^temp$"),
            Pattern.compile(".*\\.position_ids$"),
            Pattern.compile("^text_encoder\\.pooler\\..*"),
            Pattern.compile("^(visual_projection|text_projection)\\..*"),
            Pattern.compile("^logit_scale$"));


    /**
     * BLIP-2 (LAVIS {@code Blip2Qformer} / transformers {@code Blip2ForImageTextRetrieval}). EVA's
     * {@code attn.q_bias} and {@code attn.v_bias} have no HF name: transformers fuses them into
     * {@code self_attn.qkv.bias} (with zeros for the keys), which loads here as
     * {@code attn.qkv.bias}. First match wins, so the specific rules come before {@code qformer.{p}}.
     */
    private static final List<Rename> BLIP2_RENAMES = concat(VIT_RENAMES, List.of(
            rename("vision_model.post_layernorm.{p}", "ln_vision.{p}"),
            rename("qformer.layernorm.{p}", "Qformer.bert.embeddings.LayerNorm.{p}"),
            rename("embeddings.word_embeddings.{p}", "Qformer.bert.embeddings.word_embeddings.{p}"),
            rename("embeddings.position_embeddings.{p}", "Qformer.bert.embeddings.position_embeddings.{p}"),
            rename("qformer.encoder.layer.{n}.attention.attention.{p}", "Qformer.bert.encoder.layer.{n}.attention.self.{p}"),
            rename("qformer.encoder.layer.{n}.crossattention.attention.{p}",
                    "Qformer.bert.encoder.layer.{n}.crossattention.self.{p}"),
            rename("qformer.{p}", "Qformer.bert.{p}"),
            rename("vision_projection.{p}", "vision_proj.{p}"),
            rename("text_projection.{p}", "text_proj.{p}")));

    /**
     * BLIP-2 keys first-stage inference does not use: the Q-Former's language-model head (its
     * stage-1 captioning, which blip4j does not run) and position-id buffers.
     */
    private static final List<Pattern> BLIP2_IGNORED = List.of(
            Pattern.compile("^Qformer\\.cls\\..*"),
            Pattern.compile(".*\\.position_ids$"));

    /** BLIP's table, which the static methods read. */
    public static final KeyNames BLIP = new KeyNames(BLIP_RENAMES, BLIP_IGNORED);

    /** BLIP-2's table. */
    public static final KeyNames BLIP2 = new KeyNames(BLIP2_RENAMES, BLIP2_IGNORED);

    private final List<Rename> renames;
    private final List<Pattern> ignored;

    private KeyNames(List<Rename> renames, List<Pattern> ignored) {
        this.renames = renames;
        this.ignored = ignored;
    }


    private static List<Rename> concat(List<Rename> first, List<Rename> then) {
        List<Rename> all = new java.util.ArrayList<>(first);
        all.addAll(then);
        return List.copyOf(all);
    }

    private static Rename rename(String hf, String official) {
        return new Rename(template(hf), template(official), replacement(official), replacement(hf), false);
    }

    /** A template as an anchored pattern: dots literal, {n} a number, {p} the rest. */
    private static Pattern template(String t) {
        String regex = Pattern.quote(t).replace("{n}", "\\E(\\d+)\\Q").replace("{p}", "\\E(.+)\\Q");
        return Pattern.compile("^" + regex + "$");
    }

    /** A template as a replacement: each placeholder becomes the next group. */
    private static String replacement(String t) {
        StringBuilder out = new StringBuilder();
        int group = 1;
        for (int i = 0; i < t.length(); i++) {
            if (t.startsWith("{n}", i) || t.startsWith("{p}", i)) {
                out.append('$').append(group++);
                i += 2;
            } else {
                out.append(t.charAt(i));
            }
        }
        return out.toString();
    }

    /** The official name of a key of the given layout. */
    public String toOfficial(String key, Layout layout) {
        if (layout == Layout.ORIGINAL) {
            return key;
        }
        for (Rename r : renames) {
            var m = r.hf().matcher(key);
            if (m.matches()) {
                return m.replaceFirst(r.toOfficial());
            }
        }
        return key;
    }

    /**
     * The HuggingFace name of an official key, as transformers' conversion script names it.
     *
     * @param blipModel whether the file is for HF's {@code BlipModel} (the feature extractor), whose
     *     text encoder is {@code text_model}
     */
    public String toHf(String officialKey, boolean blipModel) {
        for (Rename r : renames) {
            if (r.blipModelOnly() && !blipModel) {
                continue;
            }
            var m = r.official().matcher(officialKey);
            if (m.matches()) {
                return m.replaceFirst(r.toHf());
            }
        }
        return officialKey;
    }

    public boolean isIgnored(String officialKey) {
        for (Pattern p : ignored) {
            if (p.matcher(officialKey).matches()) {
                return true;
            }
        }
        return false;
    }

    /** {@link #toOfficial} of BLIP's table. */
    public static String official(String key, Layout layout) {
        return BLIP.toOfficial(key, layout);
    }

    /** {@link #toHf} of BLIP's table. */
    public static String hf(String officialKey, boolean blipModel) {
        return BLIP.toHf(officialKey, blipModel);
    }

    /** {@link #isIgnored} of BLIP's table. */
    public static boolean ignored(String officialKey) {
        return BLIP.isIgnored(officialKey);
    }
}
