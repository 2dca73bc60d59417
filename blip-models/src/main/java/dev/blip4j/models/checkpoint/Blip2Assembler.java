package dev.blip4j.models.checkpoint;

import ai.djl.ndarray.NDManager;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.blip2.Blip2;
import dev.blip4j.core.blip2.Blip2Config;
import dev.blip4j.core.blip2.QFormer;
import dev.blip4j.core.nn.Linear;
import dev.blip4j.core.text.BertLayer;
import dev.blip4j.core.text.TextTransformer;
import dev.blip4j.core.vision.VisionConfig;
import dev.blip4j.core.vision.VisionTransformer;
import dev.blip4j.models.config.Blip2Hints;
import dev.blip4j.models.config.ConfigHints;
import java.util.Collection;
import java.util.List;

/**
 * Builds BLIP-2's first stage from a checkpoint's weights under LAVIS's names (see
 * {@link KeyNames#BLIP2}) with BLIP's builders: the ViT is {@link BlipAssembler}'s, with EVA's query
 * and value biases fused and {@code ln_vision} as its final LayerNorm, and the Q-Former is its BERT
 * stack, whose layers may lack cross-attention and carry a feed-forward for the queries.
 *
 * <p>Head counts are not in the shapes: the configuration gives them, else the released
 * checkpoints' (EVA ViT-g, 1408 wide: 16 heads of 88; the BERT-base Q-Former, 768 wide: 12 of 64).
 */
public final class Blip2Assembler {

    public static final String VISION = BlipAssembler.VISION;
    public static final String LN_VISION = "ln_vision";
    public static final String QFORMER = "Qformer.bert.";
    public static final String QUERY_TOKENS = "query_tokens";

    /** EVA ViT-g/14 as LAVIS's {@code create_eva_vit_g} builds it. */
    public static final int EVA_G_WIDTH = 1408;
    public static final int EVA_G_HEADS = 16;
    public static final int EVA_G_DEPTH = 39;
    private static final int BERT_BASE_HIDDEN = 768;
    private static final int BERT_BASE_HEADS = 12;

    /** LAVIS's {@code max_txt_len} default. */
    public static final int MAX_TEXT_LENGTH = 32;
    /** torch's LayerNorm default, which LAVIS's {@code ln_vision} keeps. */
    private static final float LN_VISION_EPS = 1e-5f;
    /** EVA's blocks: {@code partial(nn.LayerNorm, eps=1e-6)}. */
    private static final float EVA_EPS = 1e-6f;

    private Blip2Assembler() {}

    /** Whether tensor names (either layout) are BLIP-2's: learned queries or a Q-Former. */
    public static boolean isBlip2(Collection<String> names) {
        return names.stream().anyMatch(n -> n.equals(QUERY_TOKENS) || n.startsWith("Qformer.") || n.startsWith("qformer."));
    }

    /** @param imageSize the size to run at, or null for the configured (else the checkpoint's) size */
    public static Blip2 assemble(Weights w, Blip2Hints hints, Layout layout, Integer imageSize, NDManager manager) {
        requirePresent(w, layout);
        int width = (int) w.shape(VISION + "patch_embed.proj.weight")[0];
        int hidden = (int) w.shape(QFORMER + "embeddings.word_embeddings.weight")[1];
        ConfigHints h = hints.base();
        ConfigHints resolved = new ConfigHints(h.imageSize(), h.patchSize(), h.visionWidth(), h.visionDepth(),
                heads(w, "ViT", h.visionHeads(), width, EVA_G_WIDTH, EVA_G_HEADS, layout),
                h.visionMlp(), h.visionEps() != null ? h.visionEps() : EVA_EPS,
                h.vocabSize(), h.hidden(), h.layers(),
                heads(w, "Q-Former", h.heads(), hidden, BERT_BASE_HIDDEN, BERT_BASE_HEADS, layout),
                h.intermediate(), h.maxPositions(), h.textEps(), h.encoderWidth());
        BlipAssembler parts = BlipAssembler.parts(w, resolved, layout, manager);

        VisionConfig visionConfig = parts.named(() -> parts.visionConfig(imageSize));
        float lnEps = hints.lnVisionEps() != null ? hints.lnVisionEps() : LN_VISION_EPS;
        VisionTransformer vision = parts.vision(visionConfig, LN_VISION, lnEps);

        TextTransformer bert = parts.text(QFORMER, false);
        List<BertLayer> layers = bert.layers();
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).queryFfn() == null) {
                throw new ModelException(w.source() + ": missing tensor '" + QFORMER + "encoder.layer." + i
                        + ".intermediate_query.dense.weight' (the Q-Former's feed-forward for its queries)");
            }
        }
        long[] tokens = parts.requireShape(QUERY_TOKENS, 3);
        QFormer qformer = new QFormer(bert, w.array(QUERY_TOKENS, 1, -1, hidden));
        List<Integer> crossLayers = qformer.crossAttentionLayers();
        parts.agree("num_query_token", hints.queries(), (int) tokens[1]);
        if (hints.crossAttentionFreq() != null) {
            for (int i = 0; i < layers.size(); i++) {
                if (crossLayers.contains(i) != (i % hints.crossAttentionFreq() == 0)) {
                    throw new ModelException(w.source() + ": configuration says cross-attention every "
                            + hints.crossAttentionFreq() + " layers but the checkpoint has it in layers " + crossLayers);
                }
            }
        }

        int embedDim = (int) parts.requireShape("vision_proj.weight", 2)[0];
        parts.agree("embed_dim", hints.embedDim(), embedDim);
        Linear visionProj = w.linear("vision_proj", embedDim, hidden);
        Linear textProj = w.linear("text_proj", embedDim, hidden);
        Linear itmHead = w.linear("itm_head", 2, hidden);
        Float temperature = w.has("temp") ? temperature(w) : null;
        parts.finish();
        parts.releaseSuperseded(bert);
        int maxText = hints.maxTextLength() != null ? hints.maxTextLength() : MAX_TEXT_LENGTH;
        Blip2Config config = parts.named(() -> new Blip2Config(visionConfig, lnEps, bert.config(), (int) tokens[1],
                crossLayers, embedDim, maxText));
        return new Blip2(manager, config, vision, qformer, visionProj, textProj, itmHead, temperature);
    }

    /** What blip4j says of BLIP-2 with a CLIP ViT, which it does not run. */
    private static final String CLIP_VIT = "BLIP-2 with a CLIP ViT-L (ln_pre, QuickGELU: LAVIS's clip_L,"
            + " blip2_pretrained_vitL.pth) is not supported; blip4j runs BLIP-2 with EVA ViT-g";
    /** What blip4j says of BLIP-2 with a language model, whose second stage it does not run. */
    private static final String LANGUAGE_MODEL = "this is BLIP-2 with a language model, transformers' Blip2Model or "
            + "Blip2ForConditionalGeneration, whose Q-Former reads no text; blip4j runs the first stage: "
            + "Blip2ForImageTextRetrieval, e.g. Salesforce/blip2-itm-vit-g";

    private static boolean clipVit(Collection<String> names) {
        return names.stream().anyMatch(n -> n.startsWith(VISION + "transformer.") || n.equals(VISION + "conv1.weight"));
    }

    private static boolean languageModel(Collection<String> names) {
        return names.stream().anyMatch(n -> n.startsWith("language_"));
    }

    /**
     * Refuses, naming the variant, a BLIP-2 checkpoint blip4j does not run, told by its official
     * tensor names alone (before any tensor is read).
     */
    static void refuseVariants(String source, Collection<String> names) {
        if (clipVit(names)) {
            throw new ModelException(source + ": " + CLIP_VIT);
        }
        if (languageModel(names)) {
            throw new ModelException(source + ": " + LANGUAGE_MODEL);
        }
    }

    private static void requirePresent(Weights w, Layout layout) {
        if (!w.has(VISION + "patch_embed.proj.weight")) {
            if (clipVit(w.names())) {
                throw new ModelException(w.source() + ": " + CLIP_VIT);
            }
            throw new ModelException(w.source() + ": a BLIP-2 checkpoint without its ViT: missing tensor '" + VISION
                    + "patch_embed.proj.weight'" + (layout == Layout.ORIGINAL ? "; LAVIS's blip2_pretrained.pth"
                    + " leaves the frozen ViT out: put LAVIS's eva_vit_g.pth beside it" : ""));
        }
        if (!w.has(QFORMER + "embeddings.word_embeddings.weight")) {
            throw new ModelException(w.source() + ": missing tensor '" + QFORMER + "embeddings.word_embeddings.weight'"
                    + (languageModel(w.names()) ? " (" + LANGUAGE_MODEL + ")" : ""));
        }
    }

    private static int heads(Weights w, String what, Integer configured, int width, int knownWidth, int knownHeads,
            Layout layout) {
        if (configured != null) {
            return configured;
        }
        if (width == knownWidth) {
            return knownHeads;
        }
        throw new ModelException(w.source() + ": the " + what + " head count cannot be read from tensor shapes (width "
                + width + " is not a released BLIP-2's) and no configuration gives it: put "
                + (layout == Layout.ORIGINAL ? "blip2_config.json" : "config.json") + " beside the checkpoint");
    }

    private static float temperature(Weights w) {
        TensorData t = w.data("temp");
        if (t.numel() != 1) {
            throw new ModelException(w.source() + ": tensor 'temp' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected a scalar");
        }
        return t.toFloatArray()[0];
    }
}
