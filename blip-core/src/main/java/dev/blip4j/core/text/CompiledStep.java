package dev.blip4j.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
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
 * A decoder step of one new token per row, every layer and the LM head, as one libtorch call: the
 * arithmetic of {@link BertLayer} in {@link MedMode#DECODER} and of {@link LmHead}, op for op and
 * in the same order, written once more in TorchScript. A greedy step is ~370 small native calls
 * when DJL issues them one by one, and their Java side (arguments, results, managers) cost a third
 * of the step on 2 cores: 19 to 27 ms against 13.5 to 17 ms for this call in one probe. The Java
 * layers stay the definition; this is their compiled form for the one case that runs hundreds of
 * times per caption, and {@code CompiledStepTest} holds it to their logits bit for bit.
 *
 * <p>It applies to BLIP's float32 decoders whose linear layers are all packed for oneDNN (every
 * BLIP-base and -large layer): other precisions, NLVR2's twinned stacks and BLIP-2 take the
 * layers. {@code -Dblip4j.decoderStep=layers} turns it off, to compare.
 *
 * <p>Holds references to the model's weights for one {@link DecoderSession}; close it with the session.
 */
final class CompiledStep implements AutoCloseable {

    /** Tensors per layer in {@link #weights}: self q, kv, out, norm; cross q, kv, out, norm; fc1, fc2, norm (w, b each). */
    private static final int PER_LAYER = 22;

    private final int layers;
    private final int heads;
    private final double eps;
    private final IValue weights;

    private CompiledStep(int layers, int heads, double eps, IValue weights) {
        this.layers = layers;
        this.heads = heads;
        this.eps = eps;
        this.weights = weights;
    }

    /** The compiled step of {@code decoder} and {@code head}, or null when they must run as layers. */
    static CompiledStep of(TextTransformer decoder, LmHead head) {
        if ("layers".equalsIgnoreCase(System.getProperty("blip4j.decoderStep")) || !Attention.compiled()
                || decoder.embeddings().words().getDataType() != DataType.FLOAT32) {
            return null;
        }
        List<NDArray> w = new ArrayList<>(decoder.layers().size() * PER_LAYER + 6);
        float eps = decoder.config().layerNormEps();
        for (BertLayer layer : decoder.layers()) {
            CrossAttention cross = layer.crossAttention();
            if (cross == null || cross.memories() != 1 || layer.queryFfn() != null
                    || layer.selfAttention().heads() != decoder.config().heads()) {
                return null;
            }
            BertAttention self = layer.selfAttention();
            BertAttention image = cross.blocks().get(0);
            boolean packed = add(w, self.query()) && add(w, self.keyValue()) && add(w, self.output())
                    && add(w, self.norm(), eps) && add(w, image.query()) && add(w, image.keyValue())
                    && add(w, image.output()) && add(w, image.norm(), eps) && add(w, layer.ffn().fc1())
                    && add(w, layer.ffn().fc2()) && add(w, layer.ffnNorm(), eps);
            if (!packed) {
                return null;
            }
        }
        if (!(add(w, head.transform()) && add(w, head.norm(), eps) && add(w, head.decoder()))) {
            return null;
        }
        // Cross keys and values are projected once per image, by the layers; their weights stay in
        // the list so that a layer's tensors sit where the layer's fields are, in order.
        BlipEngine.engine();
        IValue list = IValue.listFrom(w.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
        return new CompiledStep(decoder.layers().size(), decoder.config().heads(), eps, list);
    }

    private static boolean add(List<NDArray> w, Linear linear) {
        NDArray[] operands = linear instanceof PackedLinear p ? p.oneDnnOperands() : null;
        if (operands == null) {
            return false;
        }
        w.add(operands[0]);
        w.add(operands[1]);
        return true;
    }

    private static boolean add(List<NDArray> w, LayerNorm norm, float eps) {
        w.add(norm.weight());
        w.add(norm.bias());
        return norm.eps() == eps;
    }

    /**
     * Runs the layers and the head over {@code x}, the embedded new token of every row, and
     * extends every call's cache by it.
     *
     * @param x [R, 1, H] embeddings of the new tokens, the calls' rows in order
     * @param calls covering the R rows, each with a preallocated cache that has room for one more token
     * @return [R, vocab] logits
     */
    NDArray logits(NDArray x, List<TextTransformer.Rows> calls) {
        int n = calls.size();
        long[] counts = new long[n];
        long[] starts = new long[n];
        long[] groups = new long[n];
        List<PtNDArray> slots = new ArrayList<>(n);
        List<PtNDArray> keys = new ArrayList<>(n * layers);
        List<PtNDArray> values = new ArrayList<>(n * layers);
        List<PtNDArray> biases = new ArrayList<>(n);
        for (int c = 0; c < n; c++) {
            TextTransformer.Rows call = calls.get(c);
            counts[c] = call.count();
            starts[c] = call.start();
            groups[c] = call.other().groups();
            slots.add((PtNDArray) call.cache().slots(1));
            for (int i = 0; i < layers; i++) {
                KeyValue kv = call.other().single(i);
                keys.add((PtNDArray) kv.key());
                values.add((PtNDArray) kv.value());
            }
            NDArray bias = call.other().bias();
            biases.add((PtNDArray) (bias != null ? bias : x.getManager().create(new float[0])));
        }
        try (IValue c = IValue.listFrom(counts); IValue s = IValue.listFrom(starts); IValue g = IValue.listFrom(groups);
                IValue sl = list(slots); IValue k = list(keys); IValue v = list(values); IValue b = list(biases)) {
            double scale = 1.0 / Math.sqrt(x.getShape().get(2) / heads);
            NDArray logits = STEP.apply(x.getManager(), x, weights, (long) layers, (long) heads, scale, eps, c, s, sl,
                    k, v, b, g);
            calls.forEach(call -> call.cache().advance(1));
            return logits;
        }
    }

    private static IValue list(List<PtNDArray> arrays) {
        return IValue.listFrom(arrays.toArray(PtNDArray[]::new));
    }

    @Override
    public void close() {
        weights.close();
    }

    private static String linear(String x, String at) {
        return PackedLinear.oneDnnProduct(x, "w[" + at + "]", "w[" + at + " + 1]");
    }

    /**
     * The layers of {@link BertLayer#forward} for t = 1 (self-attention needs no mask: every cached
     * token precedes the new one), attention as {@link Attention}'s written-out form, and
     * {@link DecoderCache}'s in-place append; cross-attention of grouped rows (the beams of an image)
     * as {@link BertAttention}'s. An empty bias stands for none.
     */
    private static final CompiledKernel STEP = new CompiledKernel("DecoderStep", "x: Tensor, w: List[Tensor], "
            + "layers: int, heads: int, scale: float, eps: float, counts: List[int], starts: List[int], slots: List[Tensor], "
            + "ck: List[Tensor], cv: List[Tensor], bias: List[Tensor], groups: List[int]", "Tensor", String.join("\n",
            "rows = torch.size(x, 0)",
            "hidden = torch.size(x, 2)",
            "d = hidden // heads",
            "h = x",
            "for i in range(layers):",
            "  at = i * " + PER_LAYER,
            "  q = " + linear("h", "at") + ".reshape([rows, 1, heads, d]).transpose(1, 2)",
            "  kv = " + linear("h", "at + 2"),
            "  k = torch.narrow(kv, 2, 0, hidden).reshape([rows, 1, heads, d]).transpose(1, 2)",
            "  v = torch.narrow(kv, 2, hidden, hidden).reshape([rows, 1, heads, d]).transpose(1, 2)",
            "  parts: List[Tensor] = []",
            "  row = 0",
            "  for c in range(len(counts)):",
            "    n = counts[c]",
            "    start = starts[c]",
            "    both = torch.select(slots[c], 0, i)",
            "    torch.narrow(torch.select(both, 0, 0), 2, start, 1).copy_(torch.narrow(k, 0, row, n))",
            "    torch.narrow(torch.select(both, 0, 1), 2, start, 1).copy_(torch.narrow(v, 0, row, n))",
            "    prefix = torch.narrow(both, 3, 0, start + 1)",
            "    qc = q if len(counts) == 1 else torch.narrow(q, 0, row, n)",
            "    scores = torch.matmul(torch.mul(qc, scale), torch.transpose(torch.select(prefix, 0, 0), -1, -2))",
            "    parts.append(torch.matmul(torch.softmax(scores, -1), torch.select(prefix, 0, 1)))",
            "    row = row + n",
            "  context = parts[0] if len(parts) == 1 else torch.cat(parts, 0)",
            "  context = context.transpose(1, 2).reshape([rows, 1, hidden])",
            "  h = torch.layer_norm(torch.add(h, " + linear("context", "at + 4") + "), [hidden], w[at + 6], "
                    + "w[at + 7], eps)",
            "  q = " + linear("h", "at + 8") + ".reshape([rows, 1, heads, d]).transpose(1, 2)",
            "  parts = []",
            "  row = 0",
            "  for c in range(len(counts)):",
            "    n = counts[c]",
            "    g = groups[c]",
            "    qc = q if len(counts) == 1 else torch.narrow(q, 0, row, n)",
            "    if g > 1:",
            "      qc = qc.reshape([n // g, g, heads, 1, d]).transpose(1, 2).reshape([n // g, heads, g, d])",
            "    scores = torch.matmul(torch.mul(qc, scale), torch.transpose(ck[c * layers + i], -1, -2))",
            "    if torch.numel(bias[c]) > 0:",
            "      scores = torch.add(scores, bias[c])",
            "    out = torch.matmul(torch.softmax(scores, -1), cv[c * layers + i])",
            "    if g > 1:",
            "      out = out.reshape([n // g, heads, g, 1, d]).transpose(1, 2).reshape([n, heads, 1, d])",
            "    parts.append(out)",
            "    row = row + n",
            "  context = parts[0] if len(parts) == 1 else torch.cat(parts, 0)",
            "  context = context.transpose(1, 2).reshape([rows, 1, hidden])",
            "  h = torch.layer_norm(torch.add(h, " + linear("context", "at + 12") + "), [hidden], w[at + 14], "
                    + "w[at + 15], eps)",
            "  f = " + linear("torch.gelu(" + linear("h", "at + 16") + ")", "at + 18"),
            "  h = torch.layer_norm(torch.add(h, f), [hidden], w[at + 20], w[at + 21], eps)",
            "top = layers * " + PER_LAYER,
            "t = torch.gelu(" + linear("torch.select(h, 1, -1)", "top") + ")",
            "t = torch.layer_norm(t, [hidden], w[top + 2], w[top + 3], eps)",
            "return " + linear("t", "top + 4")));
}
