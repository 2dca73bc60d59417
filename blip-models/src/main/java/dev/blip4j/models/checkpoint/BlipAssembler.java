package dev.blip4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipConfig;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.Precision;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Linear;
import dev.blip4j.core.nn.Mlp;
import dev.blip4j.core.nn.PackedLinear;
import dev.blip4j.core.text.BertAttention;
import dev.blip4j.core.text.BertLayer;
import dev.blip4j.core.text.LmHead;
import dev.blip4j.core.text.TextConfig;
import dev.blip4j.core.text.TextEmbeddings;
import dev.blip4j.core.text.TextTransformer;
import dev.blip4j.core.vision.PositionEmbeddings;
import dev.blip4j.core.vision.VisionBlock;
import dev.blip4j.core.vision.VisionConfig;
import dev.blip4j.core.vision.VisionTransformer;
import dev.blip4j.models.config.ConfigHints;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the network from a checkpoint's weights (under their official names): infers the
 * architecture from the tensors present and their shapes, checks it against the configuration
 * files, and wires every weight into place. Shape disagreements are reported by tensor name.
 */
public final class BlipAssembler {

    public static final String VISION = "visual_encoder.";
    public static final String ENCODER = "text_encoder.";
    public static final String DECODER = "text_decoder.bert.";
    public static final String LM_HEAD = "text_decoder.cls.predictions.";

    private final Weights w;
    private final ConfigHints hints;
    private final Layout layout;
    private final Map<NDArray, Linear.Dense> fusedKeyValues = new IdentityHashMap<>();
    private final Precision precision;
    private final NDManager manager;
    /** One packed layer per weight: layers the encoder and decoder share stay shared. */
    private final Map<NDArray, Linear> packed = new IdentityHashMap<>();
    /** Arrays a packed layer no longer needs, closed once the network is built. */
    private final Set<NDArray> superseded = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    private BlipAssembler(Weights w, ConfigHints hints, Layout layout, Precision precision, NDManager manager) {
        this.w = w;
        this.hints = hints;
        this.layout = layout;
        this.precision = precision;
        this.manager = manager;
    }

    /**
     * @param imageSize the size to run at, or null for the configured (else the checkpoint's) size;
     *     position embeddings are resized when it differs from the checkpoint's
     */
    public static Blip assemble(Weights weights, ConfigHints hints, Layout layout, Integer imageSize,
            NDManager manager) {
        return assemble(weights, hints, layout, imageSize, Precision.FLOAT, manager);
    }

    /**
     * @param precision how the linear layers of the ViT, the text stacks and the LM head keep their
     *     weights (the small ITC and ITM heads stay as loaded); float32 layers are packed for oneDNN
     */
    public static Blip assemble(Weights weights, ConfigHints hints, Layout layout, Integer imageSize,
            Precision precision, NDManager manager) {
        return new BlipAssembler(weights, hints, layout, precision, manager).build(imageSize, manager);
    }

    private Blip build(Integer imageSize, NDManager manager) {
        if (!w.has(VISION + "patch_embed.proj.weight")) {
            if (w.names().stream().anyMatch(n -> n.startsWith("visual_encoder.blocks.") || n.contains("nlvr"))) {
                throw new ModelException(w.source() + ": unsupported BLIP variant (no ViT patch embedding)");
            }
            throw new ModelException(w.source() + ": not a BLIP checkpoint: missing tensor '"
                    + VISION + "patch_embed.proj.weight' (keys start with: " + sample() + ")");
        }
        if (w.names().stream().anyMatch(n -> n.contains("crossattention.self0") || n.startsWith("cls_head."))) {
            throw new ModelException(w.source() + ": NLVR2 checkpoints (two-image cross-attention) are not supported");
        }
        VisionConfig visionConfig = named(() -> visionConfig(imageSize));
        VisionTransformer vision = vision(visionConfig);

        TextTransformer encoder = w.has(ENCODER + "embeddings.word_embeddings.weight") ? text(ENCODER) : null;
        TextTransformer decoder = w.has(DECODER + "embeddings.word_embeddings.weight") ? text(DECODER) : null;
        LmHead lmHead = decoder == null ? null : lmHead(decoder.config());
        if (decoder == null && w.names().stream().anyMatch(n -> n.startsWith("text_decoder."))) {
            throw new ModelException(w.source() + ": text decoder tensors without '" + DECODER
                    + "embeddings.word_embeddings.weight'");
        }
        int embedDim = w.has("vision_proj.weight") ? (int) w.shape("vision_proj.weight")[0] : 0;
        Linear visionProj = w.has("vision_proj.weight") ? w.linear("vision_proj", embedDim, visionConfig.width()) : null;
        Linear textProj = null;
        Linear itmHead = null;
        if (encoder != null) {
            int hidden = encoder.config().hidden();
            textProj = w.has("text_proj.weight") ? w.linear("text_proj", embedDim, hidden) : null;
            itmHead = w.has("itm_head.weight") ? w.linear("itm_head", 2, hidden) : null;
        }
        if ((visionProj == null) != (textProj == null)) {
            throw new ModelException(w.source() + ": ITC needs both vision_proj and text_proj, found only one");
        }
        Set<BlipKind> kinds = kinds(encoder, decoder, itmHead != null, visionProj != null);
        if (kinds.contains(BlipKind.VQA) && decoder.config().encoderWidth() != encoder.config().hidden()) {
            throw new ModelException(w.source() + ": the VQA answer decoder attends to " + decoder.config().encoderWidth()
                    + "-wide states but the question encoder produces " + encoder.config().hidden());
        }
        w.requireAllUsed();
        fusedKeyValues.keySet().forEach(NDArray::close);
        releaseSuperseded(encoder, decoder);
        TextConfig textConfig = encoder != null ? encoder.config() : decoder.config();
        BlipConfig config = new BlipConfig(kinds, visionConfig, textConfig, embedDim);
        return new Blip(manager, config, vision, encoder, decoder, lmHead, visionProj, textProj, itmHead);
    }

    private static Set<BlipKind> kinds(TextTransformer encoder, TextTransformer decoder, boolean itm, boolean itc) {
        Set<BlipKind> kinds = EnumSet.noneOf(BlipKind.class);
        boolean crossEncoder = encoder != null && encoder.layers().get(0).crossAttention() != null;
        if (encoder != null && decoder != null && itm) {
            kinds.add(BlipKind.PRETRAIN);
        }
        if (decoder != null && (encoder == null || itm)) {
            kinds.add(BlipKind.CAPTION);
        }
        if (encoder != null && decoder != null && !itm) {
            kinds.add(BlipKind.VQA);
        }
        if (encoder != null && itm && itc) {
            kinds.add(BlipKind.ITM);
        }
        if (crossEncoder && (decoder == null || itm)) {
            kinds.add(BlipKind.FEATURE);
        }
        return kinds;
    }

    // ---- vision ---------------------------------------------------------------------------------

    private VisionConfig visionConfig(Integer imageSizeOverride) {
        long[] patch = w.shape(VISION + "patch_embed.proj.weight");
        if (patch.length != 4 || patch[1] != 3 || patch[2] != patch[3]) {
            throw new ModelException(w.source() + ": tensor '" + VISION + "patch_embed.proj.weight' has shape "
                    + java.util.Arrays.toString(patch) + ", expected [width, 3, patch, patch]");
        }
        int width = (int) patch[0];
        int patchSize = (int) patch[2];
        int depth = countIndexed(VISION + "blocks.");
        int mlp = (int) requireShape(VISION + "blocks.0.mlp.fc1.weight", 2)[0];
        int checkpointGrid = checkpointGrid(width);
        agree("vision width", hints.visionWidth(), width);
        agree("patch size", hints.patchSize(), patchSize);
        agree("vision depth", hints.visionDepth(), depth);
        agree("vision MLP width", hints.visionMlp(), mlp);
        int heads = headsOf("vision", hints.visionHeads(), width);
        int imageSize = imageSizeOverride != null ? imageSizeOverride
                : hints.imageSize() != null ? hints.imageSize() : checkpointGrid * patchSize;
        float eps = hints.visionEps() != null ? hints.visionEps() : layout == Layout.ORIGINAL ? 1e-6f : 1e-5f;
        return new VisionConfig(imageSize, patchSize, width, depth, heads, mlp, eps);
    }

    private int checkpointGrid(int width) {
        long[] pos = requireShape(VISION + "pos_embed", 3);
        if (pos[0] != 1 || pos[2] != width) {
            throw new ModelException(w.source() + ": tensor '" + VISION + "pos_embed' has shape "
                    + java.util.Arrays.toString(pos) + ", expected [1, tokens, " + width + "]");
        }
        int grid = (int) Math.round(Math.sqrt(pos[1] - 1));
        if (grid * grid + 1 != pos[1]) {
            throw new ModelException(w.source() + ": tensor '" + VISION + "pos_embed' has " + pos[1]
                    + " positions, not [CLS] plus a square grid");
        }
        return grid;
    }

    private VisionTransformer vision(VisionConfig c) {
        int width = c.width();
        int patch = c.patchSize();
        NDArray patchWeight = w.array(VISION + "patch_embed.proj.weight", width, 3, patch, patch);
        NDArray patchBias = w.array(VISION + "patch_embed.proj.bias", width);
        NDArray cls = w.array(VISION + "cls_token", 1, 1, width);
        NDArray pos;
        int grid = checkpointGrid(width);
        if (grid == c.grid()) {
            pos = w.array(VISION + "pos_embed", 1, c.tokens(), width);
        } else {
            float[] resized = PositionEmbeddings.resize(w.data(VISION + "pos_embed").toFloatArray(), width, c.grid());
            pos = w.array(resized, 1, c.tokens(), width);
        }
        List<VisionBlock> blocks = new ArrayList<>();
        for (int i = 0; i < c.depth(); i++) {
            String p = VISION + "blocks." + i + ".";
            blocks.add(new VisionBlock(
                    w.layerNorm(p + "norm1", width, c.layerNormEps()),
                    pack(w.linear(p + "attn.qkv", 3L * width, width)),
                    pack(w.linear(p + "attn.proj", width, width)),
                    c.heads(),
                    w.layerNorm(p + "norm2", width, c.layerNormEps()),
                    new Mlp(pack(w.linear(p + "mlp.fc1", c.mlpWidth(), width)),
                            pack(w.linear(p + "mlp.fc2", width, c.mlpWidth())))));
        }
        return new VisionTransformer(c, patchWeight, patchBias, cls, pos, blocks,
                w.layerNorm(VISION + "norm", width, c.layerNormEps()));
    }

    // ---- text -----------------------------------------------------------------------------------

    private TextTransformer text(String prefix) {
        long[] words = requireShape(prefix + "embeddings.word_embeddings.weight", 2);
        int vocab = (int) words[0];
        int hidden = (int) words[1];
        int maxPositions = (int) requireShape(prefix + "embeddings.position_embeddings.weight", 2)[0];
        int layers = countIndexed(prefix + "encoder.layer.");
        int intermediate = (int) requireShape(prefix + "encoder.layer.0.intermediate.dense.weight", 2)[0];
        boolean cross = w.has(prefix + "encoder.layer.0.crossattention.self.key.weight");
        int encoderWidth = cross ? (int) requireShape(prefix + "encoder.layer.0.crossattention.self.key.weight", 2)[1]
                : hidden;
        agree("text vocab_size (" + prefix + ")", hints.vocabSize(), vocab);
        agree("text hidden_size (" + prefix + ")", hints.hidden(), hidden);
        agree("text num_hidden_layers (" + prefix + ")", hints.layers(), layers);
        agree("text intermediate_size (" + prefix + ")", hints.intermediate(), intermediate);
        agree("text max_position_embeddings (" + prefix + ")", hints.maxPositions(), maxPositions);
        if (cross) {
            agree("text encoder_width (" + prefix + ")", hints.encoderWidth(), encoderWidth);
        }
        int heads = headsOf("text", hints.heads(), hidden);
        float eps = hints.textEps() != null ? hints.textEps() : 1e-12f;
        TextConfig c = named(() -> new TextConfig(vocab, hidden, layers, heads, intermediate, maxPositions, eps, encoderWidth));

        TextEmbeddings embeddings = new TextEmbeddings(
                w.array(prefix + "embeddings.word_embeddings.weight", vocab, hidden),
                w.array(prefix + "embeddings.position_embeddings.weight", maxPositions, hidden),
                w.layerNorm(prefix + "embeddings.LayerNorm", hidden, eps));
        List<BertLayer> stack = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            String p = prefix + "encoder.layer." + i + ".";
            boolean hasCross = w.has(p + "crossattention.self.key.weight");
            if (hasCross != cross) {
                throw new ModelException(w.source() + ": layer " + p + " " + (hasCross ? "has" : "lacks")
                        + " cross-attention unlike layer 0");
            }
            stack.add(new BertLayer(
                    attention(p + "attention.", hidden, hidden, heads, eps),
                    cross ? attention(p + "crossattention.", hidden, encoderWidth, heads, eps) : null,
                    new Mlp(pack(w.linear(p + "intermediate.dense", intermediate, hidden)),
                            pack(w.linear(p + "output.dense", hidden, intermediate))),
                    w.layerNorm(p + "output.LayerNorm", hidden, eps)));
        }
        return new TextTransformer(c, embeddings, stack);
    }

    private BertAttention attention(String p, int hidden, int inputWidth, int heads, float eps) {
        Linear.Dense key = w.linear(p + "self.key", hidden, inputWidth);
        Linear.Dense value = w.linear(p + "self.value", hidden, inputWidth);
        // Keys and values of the same input are computed by one matrix multiply; a weight shared by
        // encoder and decoder (pre-training ties them) is fused once and stays shared.
        Linear.Dense keyValue = fusedKeyValues.computeIfAbsent(key.weight(), k -> Linear.fuse(key, value));
        return new BertAttention(pack(w.linear(p + "self.query", hidden, hidden)), pack(keyValue),
                pack(w.linear(p + "output.dense", hidden, hidden)), w.layerNorm(p + "output.LayerNorm", hidden, eps),
                heads);
    }

    private LmHead lmHead(TextConfig c) {
        int hidden = c.hidden();
        int vocab = c.vocabSize();
        NDArray words = w.array(DECODER + "embeddings.word_embeddings.weight", vocab, hidden);
        NDArray decoderWeight = words;
        if (w.has(LM_HEAD + "decoder.weight")) {
            TensorData stored = w.data(LM_HEAD + "decoder.weight");
            TensorData embeddings = w.data(DECODER + "embeddings.word_embeddings.weight");
            // The official head is tied to the word embeddings; HF writes a copy. Keep one array when equal.
            if (stored != embeddings && !stored.data().equals(embeddings.data())) {
                decoderWeight = w.array(LM_HEAD + "decoder.weight", vocab, hidden);
            }
        }
        String biasName = w.has(LM_HEAD + "bias") ? LM_HEAD + "bias" : LM_HEAD + "decoder.bias";
        NDArray bias = w.array(biasName, vocab);
        if (w.has(LM_HEAD + "decoder.bias")) {
            w.array(LM_HEAD + "decoder.bias", vocab);
        }
        return new LmHead(pack(w.linear(LM_HEAD + "transform.dense", hidden, hidden)),
                w.layerNorm(LM_HEAD + "transform.LayerNorm", hidden, c.layerNormEps()),
                pack(Linear.of(decoderWeight, bias)));
    }

    /**
     * The layer packed for its kernel ({@link PackedLinear}), once per weight so that tied layers
     * stay one: float32 for oneDNN where the engine has it, else as loaded; bfloat16 or int8 when asked.
     */
    private Linear pack(Linear.Dense dense) {
        if (precision != Precision.FLOAT) {
            return packed.computeIfAbsent(dense.weight(), k -> {
                // int8's packed parameters refer to the float32 bias without copying it: it stays
                superseded.add(dense.weight());
                return PackedLinear.of(dense, precision, manager);
            });
        }
        if (dense.weight().getDataType() != DataType.FLOAT32 || !PackedLinear.oneDnnAvailable()) {
            return dense;
        }
        return packed.computeIfAbsent(dense.weight(), k -> {
            PackedLinear oneDnn = PackedLinear.oneDnn(dense, manager);
            if (oneDnn == null) {
                return dense;
            }
            superseded.add(dense.weight());
            return oneDnn;
        });
    }

    /**
     * Closes the float32 weights that packed layers replaced, except the word embeddings, which the
     * LM head's weight is tied to and lookups still read.
     */
    private void releaseSuperseded(TextTransformer... stacks) {
        for (TextTransformer stack : stacks) {
            if (stack != null) {
                superseded.remove(stack.embeddings().words());
                superseded.remove(stack.embeddings().positions());
            }
        }
        superseded.forEach(NDArray::close);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /**
     * Runs a config record's constructor, whose checks (positive sizes, heads dividing the width,
     * image size a multiple of the patch) know no file: the message gets the checkpoint's name.
     */
    private <T> T named(java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (ModelException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(w.source())) {
                throw e;
            }
            throw new ModelException(w.source() + ": " + e.getMessage() + " (from the checkpoint's tensors, its"
                    + " configuration file or the requested image size)", e);
        }
    }

    private long[] requireShape(String name, int dims) {
        long[] shape = w.shape(name);
        if (shape == null) {
            throw new ModelException(w.source() + ": missing tensor '" + name + "'");
        }
        if (shape.length != dims) {
            throw new ModelException(w.source() + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(shape)
                    + ", expected " + dims + " dimensions");
        }
        return shape;
    }

    private int countIndexed(String prefix) {
        Pattern p = Pattern.compile("^" + Pattern.quote(prefix) + "(\\d+)\\..*");
        int max = -1;
        for (String n : w.names()) {
            Matcher m = p.matcher(n);
            if (m.matches()) {
                max = Math.max(max, Integer.parseInt(m.group(1)));
            }
        }
        if (max < 0) {
            throw new ModelException(w.source() + ": no '" + prefix + "N.*' tensors");
        }
        return max + 1;
    }

    private int headsOf(String what, Integer configured, int width) {
        if (configured != null) {
            return configured;
        }
        if (width % 64 == 0) {
            return width / 64;
        }
        throw new ModelException(w.source() + ": the " + what + " head count cannot be read from tensor shapes and no "
                + "configuration gives it (width " + width + " is not a multiple of BLIP's 64-wide heads): put "
                + (layout == Layout.ORIGINAL ? "med_config.json / blip_config.json" : "config.json")
                + " beside the checkpoint");
    }

    private void agree(String what, Integer configured, int found) {
        if (configured != null && configured != found) {
            throw new ModelException(w.source() + ": configuration says " + what + " = " + configured
                    + " but the checkpoint's tensors have " + found);
        }
    }

    private String sample() {
        return String.join(", ", w.names().stream().limit(5).toList());
    }
}
