package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.nn.Attention;
import dev.blip4j.core.nn.CompiledKernel;
import dev.blip4j.core.nn.LayerNorm;
import dev.blip4j.core.nn.Linear;
import dev.blip4j.core.nn.PackedLinear;
import java.util.ArrayList;
import java.util.List;

/**
 * The layers of a {@link TextTransformer} run as one libtorch call: {@link BertLayer}'s arithmetic
 * in each {@link MedMode}, op for op and in the same order, written once more in TorchScript.
 * Through DJL a layer is ~30 small native calls, and at the row counts of a decoder step or a
 * short text their Java side (arguments, results, managers) costs as much as a third of the time
 * on 2 cores: a full-size greedy step took 19 to 27 ms as layers against 13.5 to 17 ms as one
 * call in one probe. The Java layers stay the definition; {@code CompiledLayersTest} holds this
 * form to their results bit for bit.
 *
 * <p>It applies to BLIP's float32 stacks whose linear layers are all packed for oneDNN (every
 * BLIP-base and -large layer) and to one memory seen by no probe: other precisions, NLVR2's twinned
 * cross-attention, BLIP-2's queries, Grad-CAM and autograd run the layers.
 * {@code -Dblip4j.textLayers=java} turns it off, to compare.
 */
final class CompiledLayers {

    /** Tensors per layer when it cross-attends: self q, kv, out, norm; cross q, kv, out, norm; fc1, fc2, norm (w, b). */
    private static final int CROSS_LAYER = 22;
    /** Tensors per layer without cross-attention: self q, kv, out, norm; fc1, fc2, norm. */
    private static final int SELF_LAYER = 14;

    private CompiledLayers() {}

    /** Whether decoder steps of {@code stack} run as one call (when nothing else rules it out). */
    static boolean supports(TextTransformer stack) {
        return enabled() && weights(stack, MedMode.DECODER) != null;
    }

    private static boolean enabled() {
        return !"java".equalsIgnoreCase(System.getProperty("blip4j.textLayers")) && Attention.compiled()
                && Compiles.LAYERS;
    }

    /**
     * The layers over {@code x} as one call, extending every call's cache (if it has one) by the new
     * tokens (the caller advances the caches); null when they must run one by one. See
     * {@link TextTransformer} for the arguments.
     *
     * @param x [R, T, H] embeddings
     * @param biases per call, its additive self-attention mask or null
     * @return [R, T, H] last hidden states, or null
     */
    static NDArray forward(TextTransformer stack, NDArray x, List<NDArray> biases, MedMode mode,
            List<TextTransformer.Rows> calls) {
        if (!enabled() || BlipEngine.recordingGradients() || x.getDataType() != DataType.FLOAT32) {
            return null;
        }
        for (TextTransformer.Rows call : calls) {
            if (mode.crossAttends() && call.other().single(0) == null
                    || call.cache() != null && !call.cache().preallocated()) {
                return null;
            }
        }
        List<PtNDArray> weights = weights(stack, mode);
        if (weights == null) {
            return null;
        }
        NDManager m = x.getManager();
        Shape shape = x.getShape();
        int heads = stack.config().heads();
        long t = shape.get(1);
        int n = calls.size();
        boolean cached = calls.get(0).cache() != null;
        long[] counts = new long[n];
        long[] starts = new long[n];
        long[] groups = new long[n];
        List<PtNDArray> slots = new ArrayList<>(n);
        List<PtNDArray> selfBias = new ArrayList<>(n);
        List<PtNDArray> keys = new ArrayList<>();
        List<PtNDArray> values = new ArrayList<>();
        List<PtNDArray> crossBias = new ArrayList<>(n);
        NDArray none = m.create(new float[0]);
        for (int c = 0; c < n; c++) {
            TextTransformer.Rows call = calls.get(c);
            if ((call.cache() != null) != cached) {
                throw new IllegalArgumentException("calls with and without a cache cannot run together");
            }
            counts[c] = call.count();
            starts[c] = call.start();
            if (cached) {
                Shape rowsHeadsDims = new Shape(call.count(), heads, shape.get(2) / heads);
                slots.add((PtNDArray) call.cache().reserve(Math.toIntExact(t), rowsHeadsDims, x.getDataType()));
            }
            selfBias.add((PtNDArray) (biases.get(c) != null ? biases.get(c) : none));
            if (mode.crossAttends()) {
                groups[c] = call.other().groups();
                for (int i = 0; i < stack.layers().size(); i++) {
                    KeyValue kv = call.other().single(i);
                    keys.add((PtNDArray) kv.key());
                    values.add((PtNDArray) kv.value());
                }
                crossBias.add((PtNDArray) (call.other().bias() != null ? call.other().bias() : none));
            }
        }
        double scale = 1.0 / Math.sqrt(shape.get(2) / heads);
        try (IValue w = list(weights); IValue c = IValue.listFrom(counts);
                IValue s = IValue.listFrom(starts); IValue g = IValue.listFrom(groups); IValue sl = list(slots);
                IValue sb = list(selfBias); IValue k = list(keys); IValue v = list(values); IValue cb = list(crossBias)) {
            return LAYERS.apply(m, x, w, (long) stack.layers().size(), (long) heads, scale,
                    (double) stack.config().layerNormEps(), Attention.FUSED_FROM_QUERIES, c, s, sl, sb, k, v, cb, g,
                    cached, mode.crossAttends());
        }
    }

    /**
     * Whether this libtorch compiles {@link #LAYERS}, decided once, when first asked: a build that
     * cannot leaves every stack to the Java layers rather than failing every text.
     */
    private static final class Compiles {
        static final boolean LAYERS = CompiledKernel.compiles(CompiledLayers.LAYERS);
    }

    /** The layers' tensors in the order the TorchScript reads them, or null when one is not packed. */
    private static List<PtNDArray> weights(TextTransformer stack, MedMode mode) {
        List<PtNDArray> w = new ArrayList<>(stack.layers().size() * CROSS_LAYER);
        float eps = stack.config().layerNormEps();
        int heads = stack.config().heads();
        for (BertLayer layer : stack.layers()) {
            if (layer.queryFfn() != null) {
                return null;
            }
            boolean ok = add(w, layer.selfAttention(), heads, eps);
            if (mode.crossAttends()) {
                CrossAttention cross = layer.crossAttention();
                ok &= cross != null && cross.memories() == 1 && add(w, cross.blocks().get(0), heads, eps);
            }
            ok = ok && add(w, layer.ffn().fc1()) && add(w, layer.ffn().fc2()) && add(w, layer.ffnNorm(), eps);
            if (!ok) {
                return null;
            }
        }
        return w;
    }

    private static boolean add(List<PtNDArray> w, BertAttention block, int heads, float eps) {
        return block.heads() == heads && add(w, block.query()) && add(w, block.keyValue()) && add(w, block.output())
                && add(w, block.norm(), eps);
    }

    private static boolean add(List<PtNDArray> w, Linear linear) {
        NDArray[] operands = linear instanceof PackedLinear p ? p.oneDnnOperands() : null;
        if (operands == null) {
            return false;
        }
        w.add((PtNDArray) operands[0]);
        w.add((PtNDArray) operands[1]);
        return true;
    }

    private static boolean add(List<PtNDArray> w, LayerNorm norm, float eps) {
        w.add((PtNDArray) norm.weight());
        w.add((PtNDArray) norm.bias());
        return norm.eps() == eps;
    }

    private static IValue list(List<PtNDArray> arrays) {
        return IValue.listFrom(arrays.toArray(PtNDArray[]::new));
    }

    private static String linear(String x, String at) {
        return PackedLinear.oneDnnProduct(x, "w[" + at + "]", "w[" + at + " + 1]");
    }

    /**
     * {@link Attention#attend} of {@code q}, {@code k}, {@code v} into {@code out}, with the additive
     * mask {@code b} when it is not empty: the fused kernel from {@code fused} queries, else the
     * written-out products, as there.
     */
    private static String attend(String indent, String queries) {
        return String.join("\n",
                indent + "if " + queries + " >= fused:",
                indent + "  if torch.numel(b) > 0:",
                indent + "    out = torch.scaled_dot_product_attention(qc, kc, vc, b)",
                indent + "  else:",
                indent + "    out = torch.scaled_dot_product_attention(qc, kc, vc)",
                indent + "else:",
                indent + "  scores = torch.matmul(torch.mul(qc, scale), torch.transpose(kc, -1, -2))",
                indent + "  if torch.numel(b) > 0:",
                indent + "    scores = torch.add(scores, b)",
                indent + "  out = torch.matmul(torch.softmax(scores, -1), vc)");
    }

    /**
     * {@link TextTransformer}'s loop over {@link BertLayer#forward}: self-attention per call (to its
     * cache, after writing the new keys and values in place as {@link DecoderCache} does, or to its
     * own tokens), cross-attention per call to its memory's keys (grouped rows as
     * {@link BertAttention} groups them), then the feed-forward block. An empty tensor stands for
     * no mask.
     */
    private static final CompiledKernel LAYERS = new CompiledKernel("TextLayers", "x: Tensor, w: List[Tensor], "
            + "layers: int, heads: int, scale: float, eps: float, fused: int, counts: List[int], starts: List[int], "
            + "slots: List[Tensor], selfBias: List[Tensor], ck: List[Tensor], cv: List[Tensor], "
            + "crossBias: List[Tensor], groups: List[int], cached: bool, crossAttends: bool", "Tensor", String.join("\n",
            "rows = torch.size(x, 0)",
            "t = torch.size(x, 1)",
            "hidden = torch.size(x, 2)",
            "d = hidden // heads",
            "per = " + CROSS_LAYER + " if crossAttends else " + SELF_LAYER,
            "one = len(counts) == 1",
            "h = x",
            "for i in range(layers):",
            "  at = i * per",
            "  q = " + linear("h", "at") + ".reshape([rows, t, heads, d]).transpose(1, 2)",
            "  kv = " + linear("h", "at + 2"),
            "  k = torch.narrow(kv, 2, 0, hidden).reshape([rows, t, heads, d]).transpose(1, 2)",
            "  v = torch.narrow(kv, 2, hidden, hidden).reshape([rows, t, heads, d]).transpose(1, 2)",
            "  parts: List[Tensor] = []",
            "  row = 0",
            "  for c in range(len(counts)):",
            "    n = counts[c]",
            "    qc = q if one else torch.narrow(q, 0, row, n)",
            "    kc = k if one else torch.narrow(k, 0, row, n)",
            "    vc = v if one else torch.narrow(v, 0, row, n)",
            "    if cached:",
            "      both = torch.select(slots[c], 0, i)",
            "      torch.narrow(torch.select(both, 0, 0), 2, starts[c], t).copy_(kc)",
            "      torch.narrow(torch.select(both, 0, 1), 2, starts[c], t).copy_(vc)",
            "      prefix = torch.narrow(both, 3, 0, starts[c] + t)",
            "      kc = torch.select(prefix, 0, 0)",
            "      vc = torch.select(prefix, 0, 1)",
            "    b = selfBias[c]",
            attend("    ", "t"),
            "    parts.append(out)",
            "    row = row + n",
            "  context = parts[0] if one else torch.cat(parts, 0)",
            "  context = context.transpose(1, 2).reshape([rows, t, hidden])",
            "  h = torch.layer_norm(torch.add(h, " + linear("context", "at + 4") + "), [hidden], w[at + 6], "
                    + "w[at + 7], eps)",
            "  f = at + 8",
            "  if crossAttends:",
            "    q = " + linear("h", "at + 8") + ".reshape([rows, t, heads, d]).transpose(1, 2)",
            "    parts = []",
            "    row = 0",
            "    for c in range(len(counts)):",
            "      n = counts[c]",
            "      g = groups[c]",
            "      qc = q if one else torch.narrow(q, 0, row, n)",
            "      if g > 1:",
            "        qc = qc.reshape([n // g, g, heads, t, d]).transpose(1, 2).reshape([n // g, heads, g * t, d])",
            "      kc = ck[c * layers + i]",
            "      vc = cv[c * layers + i]",
            "      b = crossBias[c]",
            attend("      ", "g * t"),
            "      if g > 1:",
            "        out = out.reshape([n // g, heads, g, t, d]).transpose(1, 2).reshape([n, heads, t, d])",
            "      parts.append(out)",
            "      row = row + n",
            "    context = parts[0] if one else torch.cat(parts, 0)",
            "    context = context.transpose(1, 2).reshape([rows, t, hidden])",
            "    h = torch.layer_norm(torch.add(h, " + linear("context", "at + 12") + "), [hidden], w[at + 14], "
                    + "w[at + 15], eps)",
            "    f = at + 16",
            "  up = " + linear("h", "f"),
            "  h = torch.layer_norm(torch.add(h, " + linear("torch.gelu(up)", "f + 2") + "), [hidden], w[f + 4], "
                    + "w[f + 5], eps)",
            "return h"));
}
