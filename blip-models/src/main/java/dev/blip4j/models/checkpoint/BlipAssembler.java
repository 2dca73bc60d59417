package dev.blip4j.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipConfig;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.Precision;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Linear;
import dev.blip4j.core.nn.Mlp;
import dev.blip4j.core.nn.PackedLinear;
import dev.blip4j.core.text.BertAttention;
import dev.blip4j.core.text.BertLayer;
import dev.blip4j.core.text.CrossAttention;
import dev.blip4j.core.text.LmHead;
import dev.blip4j.core.text.NlvrHead;
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
    private final Precision precision;
    /** Owner of packed weights, or null to keep every layer as loaded (BLIP-2's parts). */
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
     *     weights (the small ITC, ITM and NLVR2 heads stay as loaded); float32 layers are packed for oneDNN
     */
    public static Blip assemble(Weights weights, ConfigHints hints, Layout layout, Integer imageSize,
            Precision precision, NDManager manager) {
        return new BlipAssembler(weights, hints, layout, precision, manager).build(imageSize, manager);
    }

    /**
     * The ViT and BERT builders alone, for BLIP-2's assembler; heads must be in {@code hints}. Its
     * float32 layers are packed for oneDNN as BLIP's are; {@link #releaseSuperseded} ends the assembly.
     */
    static BlipAssembler parts(Weights weights, ConfigHints hints, Layout layout, NDManager manager) {
        return new BlipAssembler(weights, hints, layout, Precision.FLOAT, manager);
    }

    private Blip build(Integer imageSize, NDManager manager) {
        if (!w.has(VISION + "patch_embed.proj.weight")) {
            if (w.names().stream().anyMatch(n -> n.startsWith("visual_encoder.blocks.") || n.contains("nlvr"))) {
                throw new ModelException(w.source() + ": unsupported BLIP variant (no ViT patch embedding)");
            }
            throw new ModelException(w.source() + ": not a BLIP checkpoint: missing tensor '"
                    + VISION + "patch_embed.proj.weight' (keys start with: " + sample() + ")");
        }
        VisionConfig visionConfig = named(() -> visionConfig(imageSize));
        VisionTransformer vision = vision(visionConfig, VISION + "norm", visionConfig.layerNormEps());

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
        NlvrHead nlvrHead = null;
        if (encoder != null) {
            int hidden = encoder.config().hidden();
            textProj = w.has("text_proj.weight") ? w.linear("text_proj", embedDim, hidden) : null;
            itmHead = w.has("itm_head.weight") ? w.linear("itm_head", 2, hidden) : null;
            nlvrHead = nlvrHead(encoder);
        }
        if ((visionProj == null) != (textProj == null)) {
            throw new ModelException(w.source() + ": ITC needs both vision_proj and text_proj, found only one");
        }
        Set<BlipKind> kinds = nlvrHead != null ? EnumSet.of(BlipKind.NLVR)
                : kinds(encoder, decoder, itmHead != null, visionProj != null);
        if (kinds.contains(BlipKind.VQA) && decoder.config().encoderWidth() != encoder.config().hidden()) {
            throw new ModelException(w.source() + ": the VQA answer decoder attends to " + decoder.config().encoderWidth()
                    + "-wide states but the question encoder produces " + encoder.config().hidden());
        }
        finish();
        releaseSuperseded(encoder, decoder);
        TextConfig textConfig = encoder != null ? encoder.config() : decoder.config();
        BlipConfig config = new BlipConfig(kinds, visionConfig, textConfig, embedDim);
        return new Blip(manager, config, vision, encoder, decoder, lmHead, visionProj, textProj, itmHead, nlvrHead);
    }

    private static Set<BlipKind> kinds(TextTransformer encoder, TextTransformer decoder, boolean itm, boolean itc) {
        Set<BlipKind> kinds = EnumSet.noneOf(BlipKind.class);
        boolean crossEncoder = encoder != null && encoder.layers().get(0).crossAttention() != null
                && encoder.layers().get(0).crossAttention().memories() == 1;
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

    VisionConfig visionConfig(Integer imageSizeOverride) {
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
        if (imageSizeOverride != null && VisionConfig.imageSizeProblem(imageSizeOverride, patchSize) != null) {
            // the caller's request, not the file: an option out of range
            throw new InputException(VisionConfig.imageSizeProblem(imageSizeOverride, patchSize) + " (the requested"
                    + " image size, for " + w.source() + ")");
        }
        long imageSize = imageSizeOverride != null ? imageSizeOverride
                : hints.imageSize() != null ? hints.imageSize() : (long) checkpointGrid * patchSize;
        String problem = VisionConfig.imageSizeProblem(imageSize, patchSize);
        if (problem != null) {
            throw new ModelException(w.source() + ": " + problem + " (from " + (hints.imageSize() != null
                    ? "the configuration file" : "the checkpoint's position table") + ")");
        }
        float eps = hints.visionEps() != null ? hints.visionEps() : layout == Layout.ORIGINAL ? 1e-6f : 1e-5f;
        return new VisionConfig((int) imageSize, patchSize, width, depth, heads, mlp, eps);
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

    /**
     * @param finalNorm the LayerNorm after the blocks: BLIP's {@code visual_encoder.norm}, BLIP-2's
     *     {@code ln_vision}
     */
    VisionTransformer vision(VisionConfig c, String finalNorm, float finalNormEps) {
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
                    pack(qkv(p + "attn.", width)),
                    pack(w.linear(p + "attn.proj", width, width)),
                    c.heads(),
                    w.layerNorm(p + "norm2", width, c.layerNormEps()),
                    new Mlp(pack(w.linear(p + "mlp.fc1", c.mlpWidth(), width)),
                            pack(w.linear(p + "mlp.fc2", width, c.mlpWidth())))));
        }
        return new VisionTransformer(c, patchWeight, patchBias, cls, pos, blocks,
                w.layerNorm(finalNorm, width, finalNormEps));
    }

    /**
     * The fused query/key/value projection. EVA (BLIP-2's ViT) has biases for queries and values
     * only; as one Linear its bias is {@code cat(q_bias, 0, v_bias)}, exactly what LAVIS computes.
     */
    private Linear.Dense qkv(String p, int width) {
        if (!w.has(p + "q_bias") && !w.has(p + "v_bias")) {
            return w.linear(p + "qkv", 3L * width, width);
        }
        if (w.has(p + "qkv.bias")) {
            throw new ModelException(w.source() + ": '" + p + "qkv.bias' next to '" + p + "q_bias'/'v_bias'");
        }
        NDArray bias = w.joined(width, p + "q_bias", null, p + "v_bias");
        return Linear.of(w.array(p + "qkv.weight", 3L * width, width), bias);
    }

    // ---- text -----------------------------------------------------------------------------------

    private TextTransformer text(String prefix) {
        return text(prefix, true);
    }

    /**
     * @param uniform whether every layer must have cross-attention when any has (BLIP's MED); the
     *     Q-Former has it every {@code cross_attention_freq}-th layer
     */
    TextTransformer text(String prefix, boolean uniform) {
        long[] words = requireShape(prefix + "embeddings.word_embeddings.weight", 2);
        int vocab = (int) words[0];
        int hidden = (int) words[1];
        int maxPositions = (int) requireShape(prefix + "embeddings.position_embeddings.weight", 2)[0];
        int layers = countIndexed(prefix + "encoder.layer.");
        int intermediate = (int) requireShape(prefix + "encoder.layer.0.intermediate.dense.weight", 2)[0];
        // NLVR2 twins the cross-attention: self0/self1 and dense0/dense1 where BLIP has self and dense.
        boolean twin = w.has(prefix + "encoder.layer.0.crossattention.self0.key.weight");
        String firstBlock = twin ? "self0" : "self";
        String firstCross = firstCrossAttention(prefix, layers, firstBlock);
        boolean cross = firstCross != null;
        int encoderWidth = cross ? (int) requireShape(firstCross, 2)[1] : hidden;
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
            boolean hasCross = w.has(p + "crossattention." + firstBlock + ".key.weight");
            if (uniform && hasCross != cross) {
                throw new ModelException(w.source() + ": layer " + p + " " + (hasCross ? "has" : "lacks")
                        + (twin ? " twinned" : "") + " cross-attention unlike layer 0");
            }
            boolean queries = w.has(p + "intermediate_query.dense.weight");
            stack.add(new BertLayer(
                    attention(p + "attention.", "self", "dense", hidden, hidden, heads, eps),
                    hasCross ? crossAttention(p + "crossattention.", twin, hidden, encoderWidth, heads, eps) : null,
                    ffn(p + "intermediate.dense", p + "output.dense", hidden, intermediate),
                    w.layerNorm(p + "output.LayerNorm", hidden, eps),
                    queries ? ffn(p + "intermediate_query.dense", p + "output_query.dense", hidden, intermediate) : null,
                    queries ? w.layerNorm(p + "output_query.LayerNorm", hidden, eps) : null));
        }
        return new TextTransformer(c, embeddings, stack);
    }

    private Mlp ffn(String in, String out, int hidden, int intermediate) {
        return new Mlp(pack(w.linear(in, intermediate, hidden)), pack(w.linear(out, hidden, intermediate)));
    }

    /** The key weight of the first layer with cross-attention (its first block {@code self}, or NLVR2's {@code self0}), or null. */
    private String firstCrossAttention(String prefix, int layers, String block) {
        for (int i = 0; i < layers; i++) {
            String key = prefix + "encoder.layer." + i + ".crossattention." + block + ".key.weight";
            if (w.has(key)) {
                return key;
            }
        }
        return null;
    }

    /**
     * One attention block, {@code p + self.{query,key,value}} with its output {@code p + output.dense}
     * and {@code p + output.LayerNorm}; NLVR2's twins name them {@code self0}/{@code dense0} and
     * {@code self1}/{@code dense1} and share the LayerNorm.
     */
    private BertAttention attention(String p, String self, String dense, int hidden, int inputWidth, int heads,
            float eps) {
        // Keys and values of the same input are computed by one matrix multiply; a weight shared by
        // encoder and decoder (pre-training ties them) is fused once and stays shared.
        Linear keyValue = pack(w.fused(hidden, inputWidth, p + self + ".key", p + self + ".value"));
        return new BertAttention(pack(w.linear(p + self + ".query", hidden, hidden)), keyValue,
                pack(w.linear(p + "output." + dense, hidden, hidden)), w.layerNorm(p + "output.LayerNorm", hidden, eps),
                heads);
    }

    /**
     * BLIP's cross-attention, or NLVR2's twin: two blocks, and from the layer whose checkpoint has
     * {@code output.merge_layer} on, that Linear over both outputs instead of their average.
     */
    private CrossAttention crossAttention(String p, boolean twin, int hidden, int inputWidth, int heads, float eps) {
        if (!twin) {
            return CrossAttention.single(attention(p, "self", "dense", hidden, inputWidth, heads, eps));
        }
        Linear merge = w.has(p + "output.merge_layer.weight") ? w.linear(p + "output.merge_layer", hidden, 2L * hidden)
                : null;
        return new CrossAttention(List.of(attention(p, "self0", "dense0", hidden, inputWidth, heads, eps),
                attention(p, "self1", "dense1", hidden, inputWidth, heads, eps)), merge);
    }

    /** NLVR2's {@code cls_head} (Linear, ReLU, Linear to 2), which needs the twinned text encoder. */
    private NlvrHead nlvrHead(TextTransformer encoder) {
        CrossAttention cross = encoder.layers().get(0).crossAttention();
        boolean twin = cross != null && cross.memories() == 2;
        boolean head = w.has("cls_head.0.weight");
        if (twin != head) {
            throw new ModelException(w.source() + ": " + (twin
                    ? "a text encoder with twinned cross-attention (NLVR2) but no 'cls_head.0.weight'"
                    : "an NLVR2 'cls_head' but the text encoder's cross-attention is not twinned (self0/self1)"));
        }
        if (!head) {
            return null;
        }
        int hidden = encoder.config().hidden();
        return new NlvrHead(w.linear("cls_head.0", hidden, hidden), w.linear("cls_head.2", 2, hidden));
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
        if (w.has(LM_HEAD + "decoder.bias") && !biasName.equals(LM_HEAD + "decoder.bias")) {
            w.skip(LM_HEAD + "decoder.bias", vocab);
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
        if (manager == null) {
            return dense;
        }
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
    void releaseSuperseded(TextTransformer... stacks) {
        for (TextTransformer stack : stacks) {
            if (stack != null) {
                superseded.remove(stack.embeddings().words());
                superseded.remove(stack.embeddings().positions());
            }
        }
        superseded.forEach(NDArray::close);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** Fails on tensors no part took, and frees the separate key weights that were fused. */
    void finish() {
        w.requireAllUsed();
    }

    /**
     * Runs a config record's constructor, whose checks (positive sizes, heads dividing the width,
     * image size a multiple of the patch) know no file: the message gets the checkpoint's name.
     */
    <T> T named(java.util.function.Supplier<T> build) {
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

    long[] requireShape(String name, int dims) {
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

    int countIndexed(String prefix) {
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

    void agree(String what, Integer configured, int found) {
        if (configured != null && configured != found) {
            throw new ModelException(w.source() + ": configuration says " + what + " = " + configured
                    + " but the checkpoint's tensors have " + found);
        }
    }

    private String sample() {
        return String.join(", ", w.names().stream().limit(5).toList());
    }
}
