package dev.blip4j.models.checkpoint;

import dev.blip4j.core.BlipKind;
import dev.blip4j.models.config.ConfigHints;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A BLIP state dict in the official layout with seeded random weights, at full size or tiny, so
 * that speed and memory can be measured without downloading anything, and the very same weights
 * can be written as a {@code .pth} for other implementations. Weights are drawn as PyTorch
 * initialises them (normal, std 0.02; zero biases; unit LayerNorms); each tensor's values depend only
 * on the seed and its name.
 *
 * @param size the architecture: {@code tiny} (the goldens' shapes with the real vocabulary),
 *     {@code base} (ViT-B/16 at 384 px + BERT-base) or {@code large} (ViT-L/16 + BERT-base)
 */
public record RandomCheckpoint(Size size, BlipKind kind, long seed) {

    public RandomCheckpoint {
        if (kind == BlipKind.NLVR) {
            throw new dev.blip4j.core.InputException("random checkpoints are made for caption, itm, vqa, feature and "
                    + "pretrain, not nlvr");
        }
    }

    /** Architectures. */
    public enum Size {
        TINY(64, 48, 2, 2, 192, 32, 2, 2, 64, 64, 16),
        BASE(384, 768, 12, 12, 3072, 768, 12, 12, 3072, 512, 256),
        LARGE(384, 1024, 24, 16, 4096, 768, 12, 12, 3072, 512, 256);

        final int imageSize;
        final int visionWidth;
        final int visionDepth;
        final int visionHeads;
        final int visionMlp;
        final int hidden;
        final int layers;
        final int heads;
        final int intermediate;
        final int positions;
        final int embedDim;

        Size(int imageSize, int visionWidth, int visionDepth, int visionHeads, int visionMlp, int hidden, int layers,
                int heads, int intermediate, int positions, int embedDim) {
            this.imageSize = imageSize;
            this.visionWidth = visionWidth;
            this.visionDepth = visionDepth;
            this.visionHeads = visionHeads;
            this.visionMlp = visionMlp;
            this.hidden = hidden;
            this.layers = layers;
            this.heads = heads;
            this.intermediate = intermediate;
            this.positions = positions;
            this.embedDim = embedDim;
        }

        public static Size parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new dev.blip4j.core.InputException("unknown random model size '" + name + "' (tiny, base, large)");
            }
        }

        public int imageSize() {
            return imageSize;
        }
    }

    /** bert-base-uncased plus [DEC] and [ENC]: the shipped tokenizer works with every size. */
    public static final int VOCAB = 30524;

    private static final int PATCH = 16;

    /** The configuration files this architecture would come with (heads are not in the shapes). */
    public ConfigHints hints() {
        return new ConfigHints(size.imageSize, PATCH, size.visionWidth, size.visionDepth, size.visionHeads,
                size.visionMlp, 1e-6f, VOCAB, size.hidden, size.layers, size.heads, size.intermediate, size.positions,
                1e-12f, null);
    }

    /** The state dict, as the official model class of {@code kind} would save it. */
    public Map<String, TensorData> tensors() {
        Map<String, TensorData> t = new LinkedHashMap<>();
        vision(t);
        boolean encoder = kind != BlipKind.CAPTION;
        boolean decoder = kind == BlipKind.CAPTION || kind == BlipKind.VQA || kind == BlipKind.PRETRAIN;
        if (encoder) {
            text(t, BlipAssembler.ENCODER, size.visionWidth);
        }
        if (decoder) {
            int memoryWidth = kind == BlipKind.VQA ? size.hidden : size.visionWidth;
            text(t, BlipAssembler.DECODER, memoryWidth);
            if (kind == BlipKind.PRETRAIN) {
                tieAllButSelfAttention(t);
            }
            lmHead(t);
        }
        if (kind == BlipKind.ITM || kind == BlipKind.PRETRAIN) {
            linear(t, "vision_proj", size.embedDim, size.visionWidth);
            linear(t, "text_proj", size.embedDim, size.hidden);
            linear(t, "itm_head", 2, size.hidden);
        }
        return t;
    }

    private void vision(Map<String, TensorData> t) {
        int w = size.visionWidth;
        int grid = size.imageSize / PATCH;
        String v = BlipAssembler.VISION;
        t.put(v + "cls_token", normal(v + "cls_token", 1, 1, w));
        t.put(v + "pos_embed", normal(v + "pos_embed", 1, grid * grid + 1, w));
        t.put(v + "patch_embed.proj.weight", normal(v + "patch_embed.proj.weight", w, 3, PATCH, PATCH));
        t.put(v + "patch_embed.proj.bias", zeros(w));
        for (int i = 0; i < size.visionDepth; i++) {
            String b = v + "blocks." + i + ".";
            layerNorm(t, b + "norm1", w);
            linear(t, b + "attn.qkv", 3 * w, w);
            linear(t, b + "attn.proj", w, w);
            layerNorm(t, b + "norm2", w);
            linear(t, b + "mlp.fc1", size.visionMlp, w);
            linear(t, b + "mlp.fc2", w, size.visionMlp);
        }
        layerNorm(t, v + "norm", w);
    }

    private void text(Map<String, TensorData> t, String p, int memoryWidth) {
        int h = size.hidden;
        t.put(p + "embeddings.word_embeddings.weight", normal(p + "embeddings.word_embeddings.weight", VOCAB, h));
        t.put(p + "embeddings.position_embeddings.weight",
                normal(p + "embeddings.position_embeddings.weight", size.positions, h));
        layerNorm(t, p + "embeddings.LayerNorm", h);
        // A buffer med.py registers and every official checkpoint carries; the official loaders
        // assert that no key is missing, so the file must have it even though inference ignores it.
        t.put(p + "embeddings.position_ids", positionIds(size.positions));
        for (int i = 0; i < size.layers; i++) {
            String l = p + "encoder.layer." + i + ".";
            attention(t, l + "attention.", h);
            attention(t, l + "crossattention.", memoryWidth);
            linear(t, l + "intermediate.dense", size.intermediate, h);
            linear(t, l + "output.dense", h, size.intermediate);
            layerNorm(t, l + "output.LayerNorm", h);
        }
    }

    private void attention(Map<String, TensorData> t, String p, int keyWidth) {
        int h = size.hidden;
        linear(t, p + "self.query", h, h);
        linear(t, p + "self.key", h, keyWidth);
        linear(t, p + "self.value", h, keyWidth);
        linear(t, p + "output.dense", h, h);
        layerNorm(t, p + "output.LayerNorm", h);
    }

    /** Pre-training ties the decoder to the encoder everywhere but self-attention. */
    private static void tieAllButSelfAttention(Map<String, TensorData> t) {
        for (String name : t.keySet().toArray(String[]::new)) {
            if (name.startsWith(BlipAssembler.DECODER) && !name.contains(".attention.")) {
                String encoderName = BlipAssembler.ENCODER + name.substring(BlipAssembler.DECODER.length());
                t.put(name, t.get(encoderName));
            }
        }
    }

    private void lmHead(Map<String, TensorData> t) {
        String p = BlipAssembler.LM_HEAD;
        linear(t, p + "transform.dense", size.hidden, size.hidden);
        layerNorm(t, p + "transform.LayerNorm", size.hidden);
        t.put(p + "decoder.weight", t.get(BlipAssembler.DECODER + "embeddings.word_embeddings.weight"));
        TensorData bias = zeros(VOCAB);
        t.put(p + "bias", bias);
        t.put(p + "decoder.bias", bias);
    }

    private void linear(Map<String, TensorData> t, String p, int out, int in) {
        new RandomTensors(seed).linear(t, p, out, in);
    }

    private static void layerNorm(Map<String, TensorData> t, String p, int width) {
        RandomTensors.layerNorm(t, p, width);
    }

    private TensorData normal(String name, long... shape) {
        return new RandomTensors(seed).normal(name, shape);
    }

    private static TensorData positionIds(int n) {
        return RandomTensors.positionIds(n);
    }

    private static TensorData zeros(long n) {
        return RandomTensors.zeros(n);
    }
}
