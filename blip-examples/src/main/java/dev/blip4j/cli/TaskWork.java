package dev.blip4j.cli;

import dev.blip4j.core.BlipConfig;
import dev.blip4j.core.text.TextConfig;
import dev.blip4j.core.vision.VisionConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The least work a bench task has to do, counted from the model's shapes, phase by phase: its
 * floating-point operations and the bytes that must move between memory and the cores. With the
 * machine's measured limits it gives the task's {@code limit_s}, the time no implementation on this
 * machine can beat, and so how far a measured time is from it.
 *
 * <p>Counting rules:
 * <ul>
 *   <li>FLOPs: 2 per multiply-accumulate of every matrix product (linear layers, patch embedding,
 *       attention scores and context); element-wise work, softmax, LayerNorm, GELU and biases are
 *       not counted (under 2 %).</li>
 *   <li>Bytes: a phase reads each weight it uses once, in the weights' type, reads its inputs and
 *       writes its outputs once; a decoding step also reads the cross-attention keys and values of
 *       every image (once per image, however many beams) and the self-attention cache.
 *       Activations inside a phase are taken to stay in cache.</li>
 *   <li>A phase takes at least {@code max(FLOPs / GEMM peak, bytes / triad bandwidth)}; phases
 *       depend on each other, so a task's limit is their sum. A decoding step is one phase: a
 *       caption of 16 steps cannot overlap them.</li>
 * </ul>
 */
final class TaskWork {

    /** One dependent stretch of work. */
    record Phase(String name, double flops, double bytes) {

        double seconds(MachineLimits m) {
            return Math.max(flops / (m.gemmGflops() * 1e9), bytes / (m.triadGBps() * 1e9));
        }
    }

    private final BlipConfig config;
    private final double weightBytes;
    private final int stateBytes;
    private final List<Phase> phases = new ArrayList<>();

    /**
     * @param weightBytes bytes per weight of the linear layers (4 for float32, 2 for float16 and
     *     bfloat16, 1 for int8)
     * @param stateBytes bytes per element of activations and cached keys and values (4, or 2 for a
     *     float16 model)
     */
    TaskWork(BlipConfig config, double weightBytes, int stateBytes) {
        this.config = config;
        this.weightBytes = weightBytes;
        this.stateBytes = stateBytes;
    }

    /** The ViT over {@code images} images. */
    TaskWork vision(int images) {
        VisionConfig v = config.vision();
        long w = v.width();
        long tokens = v.tokens();
        long pixels = 3L * v.imageSize() * v.imageSize();
        long params = w * 3L * v.patchSize() * v.patchSize() + (tokens + 1) * w
                + v.depth() * (4 * w * w + 2 * w * v.mlpWidth());
        add("vit", 2.0 * v.macsPerImage() * images,
                (double) params * weightBytes + 4.0 * images * (pixels + tokens * w));
        return this;
    }

    /**
     * Every layer's cross-attention keys and values of {@code stateRows} rows of {@code tokens}
     * states {@code width} wide (images, or VQA questions), computed once per row.
     */
    TaskWork crossKeyValues(int stateRows, long tokens, long width) {
        TextConfig t = config.text();
        double macs = (double) t.layers() * 2 * tokens * width * t.hidden() * stateRows;
        double weights = (double) t.layers() * 2 * width * t.hidden() * weightBytes;
        double io = (double) stateRows * tokens * (4.0 * width + t.layers() * 2.0 * t.hidden() * stateBytes);
        add("cross keys/values", 2 * macs, weights + io);
        return this;
    }

    /**
     * One pass of the text stack over whole sequences ({@code rows} x {@code tokens}), attending to
     * {@code crossTokens} states per row when {@code > 0}.
     */
    TaskWork textPass(String name, int rows, long tokens, long crossTokens, int stateRows) {
        TextConfig t = config.text();
        long h = t.hidden();
        double perToken = layerMacs(tokens, crossTokens);
        double bytes = t.layers() * layerWeights(crossTokens > 0) * weightBytes
                + crossReads(stateRows, crossTokens) + rows * tokens * (2.0 * h * stateBytes + 4.0 * h);
        add(name, 2 * perToken * rows * tokens * t.layers(), bytes);
        return this;
    }

    /**
     * One decoder forward over {@code t} new tokens of {@code rows} rows after a cached prefix of
     * {@code prefix} tokens, with the LM head on the last position.
     */
    TaskWork decoderStep(String name, int rows, int t, int prefix, long crossTokens, int stateRows) {
        TextConfig c = config.text();
        long h = c.hidden();
        double head = (double) h * h + (double) h * c.vocabSize();
        double macs = (double) rows * t * c.layers() * layerMacs(prefix + t, crossTokens) + rows * head;
        double bytes = c.layers() * layerWeights(true) * weightBytes + head * weightBytes
                + crossReads(stateRows, crossTokens) + (double) rows * c.layers() * 2 * prefix * h * stateBytes
                + (double) rows * c.vocabSize() * 4;
        add(name, 2 * macs, bytes);
        return this;
    }

    /**
     * Autoregressive decoding: a prompt pass of {@code prompt} tokens, then one step per further
     * token up to the longest sequence the task returned.
     */
    TaskWork decode(int rows, int prompt, int longest, long crossTokens, int stateRows) {
        decoderStep("decoder prompt", rows, prompt, 0, crossTokens, stateRows);
        for (int length = prompt + 1; length < longest; length++) {
            decoderStep("decoder step", rows, 1, length - 1, crossTokens, stateRows);
        }
        return this;
    }

    /** A small linear head ({@code rows} x {@code in} -> {@code out}). */
    TaskWork head(String name, int rows, long in, long out) {
        add(name, 2.0 * rows * in * out, (double) in * out * weightBytes);
        return this;
    }

    /** Cosines of one query against {@code items} stored float32 embeddings of {@code dim}. */
    /** A scan of {@code items} stored vectors of {@code dim} values of {@code bytesPerValue} each. */
    TaskWork scan(long items, long dim, int bytesPerValue) {
        add("gallery scan", 2.0 * items * dim, (double) bytesPerValue * items * dim);
        return this;
    }

    double flops() {
        return phases.stream().mapToDouble(Phase::flops).sum();
    }

    double bytes() {
        return phases.stream().mapToDouble(Phase::bytes).sum();
    }

    double limitSeconds(MachineLimits m) {
        return phases.stream().mapToDouble(p -> p.seconds(m)).sum();
    }

    /** Per kind of phase: count, GFLOP, MB and the seconds it takes at the limits. */
    Map<String, Object> toJson(MachineLimits m) {
        Map<String, Object> j = new LinkedHashMap<>();
        for (Phase p : phases) {
            @SuppressWarnings("unchecked")
            Map<String, Object> e = (Map<String, Object>) j.computeIfAbsent(p.name(), k -> new LinkedHashMap<>(
                    Map.of("count", 0, "gflop", 0.0, "mb", 0.0, "limit_s", 0.0)));
            e.put("count", (Integer) e.get("count") + 1);
            e.put("gflop", round((Double) e.get("gflop") + p.flops() / 1e9));
            e.put("mb", round((Double) e.get("mb") + p.bytes() / 1e6));
            e.put("limit_s", round4((Double) e.get("limit_s") + p.seconds(m)));
        }
        return j;
    }

    /** MACs per token of one layer: projections, feed-forward, and attention over {@code keys} (+ cross). */
    private double layerMacs(long keys, long crossTokens) {
        TextConfig t = config.text();
        long h = t.hidden();
        double macs = 4.0 * h * h + 2.0 * h * t.intermediate() + 2.0 * keys * h;
        if (crossTokens > 0) {
            macs += 2.0 * h * h + 2.0 * crossTokens * h;
        }
        return macs;
    }

    /** Weights of one layer a pass reads (cross-attention keys and values are projected beforehand). */
    private double layerWeights(boolean crossAttends) {
        TextConfig t = config.text();
        long h = t.hidden();
        return 4.0 * h * h + 2.0 * h * t.intermediate() + (crossAttends ? 2.0 * h * h : 0);
    }

    private double crossReads(int stateRows, long crossTokens) {
        TextConfig t = config.text();
        return (double) stateRows * t.layers() * 2 * crossTokens * t.hidden() * stateBytes;
    }

    private void add(String name, double flops, double bytes) {
        phases.add(new Phase(name, flops, bytes));
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static double round4(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
