package dev.blip4j.models.checkpoint;

import dev.blip4j.core.InputException;
import dev.blip4j.models.config.Blip2Hints;
import dev.blip4j.models.config.ConfigHints;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A BLIP-2 first stage in LAVIS's layout with seeded random weights ({@link RandomTensors}), for
 * measuring speed and memory without downloading anything.
 *
 * @param size {@code full}: EVA ViT-g/14 at 224 px (1408 wide, 39 blocks, 16 heads, MLP 6144) and a
 *     BERT-base Q-Former (12 layers, cross-attention in every 2nd, 32 queries, 256-wide ITC), the
 *     released {@code blip2_pretrained.pth} with {@code eva_vit_g.pth}; {@code tiny}: the golden's
 *     shapes with the real vocabulary
 */
public record RandomBlip2Checkpoint(Size size, long seed) {

    /** Architectures. */
    public enum Size {
        TINY(64, 16, 48, 2, 2, 209, 32, 4, 2, 64, 64, 4, 16),
        FULL(224, 14, 1408, 39, 16, 6144, 768, 12, 12, 3072, 512, 32, 256);

        final int imageSize;
        final int patch;
        final int width;
        final int depth;
        final int visionHeads;
        final int mlp;
        final int hidden;
        final int layers;
        final int heads;
        final int intermediate;
        final int positions;
        final int queries;
        final int embedDim;

        Size(int imageSize, int patch, int width, int depth, int visionHeads, int mlp, int hidden, int layers,
                int heads, int intermediate, int positions, int queries, int embedDim) {
            this.imageSize = imageSize;
            this.patch = patch;
            this.width = width;
            this.depth = depth;
            this.visionHeads = visionHeads;
            this.mlp = mlp;
            this.hidden = hidden;
            this.layers = layers;
            this.heads = heads;
            this.intermediate = intermediate;
            this.positions = positions;
            this.queries = queries;
            this.embedDim = embedDim;
        }

        public int imageSize() {
            return imageSize;
        }

        public static Size parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InputException("unknown random BLIP-2 size '" + name + "' (tiny, full)");
            }
        }
    }

    /** bert-base-uncased plus {@code [DEC]}: BLIP-2's tokenizer. */
    public static final int VOCAB = 30523;

    private static final int CROSS_ATTENTION_FREQ = 2;

    /** What {@code blip2_config.json} would say (head counts are not in the shapes). */
    public Blip2Hints hints() {
        ConfigHints base = new ConfigHints(size.imageSize, size.patch, size.width, size.depth, size.visionHeads,
                size.mlp, 1e-6f, VOCAB, size.hidden, size.layers, size.heads, size.intermediate, size.positions,
                1e-12f, size.width);
        return new Blip2Hints(base, 1e-5f, CROSS_ATTENTION_FREQ, size.queries, size.embedDim,
                Blip2Assembler.MAX_TEXT_LENGTH);
    }

    /** The state dict, as LAVIS's {@code Blip2Qformer} saves it (ViT included, LM head left out). */
    public Map<String, TensorData> tensors() {
        RandomTensors r = new RandomTensors(seed);
        Map<String, TensorData> t = new LinkedHashMap<>();
        String v = Blip2Assembler.VISION;
        int w = size.width;
        int grid = size.imageSize / size.patch;
        t.put(v + "cls_token", r.normal(v + "cls_token", 1, 1, w));
        t.put(v + "pos_embed", r.normal(v + "pos_embed", 1, grid * grid + 1, w));
        t.put(v + "patch_embed.proj.weight", r.normal(v + "patch_embed.proj.weight", w, 3, size.patch, size.patch));
        t.put(v + "patch_embed.proj.bias", RandomTensors.zeros(w));
        for (int i = 0; i < size.depth; i++) {
            String b = v + "blocks." + i + ".";
            RandomTensors.layerNorm(t, b + "norm1", w);
            t.put(b + "attn.q_bias", RandomTensors.zeros(w));
            t.put(b + "attn.v_bias", RandomTensors.zeros(w));
            t.put(b + "attn.qkv.weight", r.normal(b + "attn.qkv.weight", 3L * w, w));
            r.linear(t, b + "attn.proj", w, w);
            RandomTensors.layerNorm(t, b + "norm2", w);
            r.linear(t, b + "mlp.fc1", size.mlp, w);
            r.linear(t, b + "mlp.fc2", w, size.mlp);
        }
        RandomTensors.layerNorm(t, Blip2Assembler.LN_VISION, w);
        t.put(Blip2Assembler.QUERY_TOKENS, r.normal(Blip2Assembler.QUERY_TOKENS, 1, size.queries, size.hidden));
        qformer(r, t);
        r.linear(t, "vision_proj", size.embedDim, size.hidden);
        r.linear(t, "text_proj", size.embedDim, size.hidden);
        r.linear(t, "itm_head", 2, size.hidden);
        t.put("temp", RandomTensors.filled(1, 0.07f));
        return t;
    }

    private void qformer(RandomTensors r, Map<String, TensorData> t) {
        String p = Blip2Assembler.QFORMER;
        int h = size.hidden;
        t.put(p + "embeddings.word_embeddings.weight", r.normal(p + "embeddings.word_embeddings.weight", VOCAB, h));
        t.put(p + "embeddings.position_embeddings.weight",
                r.normal(p + "embeddings.position_embeddings.weight", size.positions, h));
        RandomTensors.layerNorm(t, p + "embeddings.LayerNorm", h);
        t.put(p + "embeddings.position_ids", RandomTensors.positionIds(size.positions));
        for (int i = 0; i < size.layers; i++) {
            String l = p + "encoder.layer." + i + ".";
            attention(r, t, l + "attention.", h);
            if (i % CROSS_ATTENTION_FREQ == 0) {
                attention(r, t, l + "crossattention.", size.width);
            }
            for (String ffn : new String[] {"", "_query"}) {
                r.linear(t, l + "intermediate" + ffn + ".dense", size.intermediate, h);
                r.linear(t, l + "output" + ffn + ".dense", h, size.intermediate);
                RandomTensors.layerNorm(t, l + "output" + ffn + ".LayerNorm", h);
            }
        }
    }

    private void attention(RandomTensors r, Map<String, TensorData> t, String p, int keyWidth) {
        int h = size.hidden;
        r.linear(t, p + "self.query", h, h);
        r.linear(t, p + "self.key", h, keyWidth);
        r.linear(t, p + "self.value", h, keyWidth);
        r.linear(t, p + "output.dense", h, h);
        RandomTensors.layerNorm(t, p + "output.LayerNorm", h);
    }
}
