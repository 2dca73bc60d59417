package dev.blip4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.CpuFeatures;
import dev.blip4j.core.nn.TorchScript;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What this machine can do at best through the engine, measured in the same run as the tasks (so
 * that a busy or throttled machine moves the limits with the timings): the best float32
 * matrix-multiply rate ({@code torch.mm}, and oneDNN's linear, which PyTorch uses for its mkldnn
 * path) and the memory bandwidth of a STREAM triad ({@code a = b + s * c}) over arrays far larger
 * than the caches. A task's limit is counted from these two numbers ({@link TaskWork}).
 *
 * @param mmGflops best {@code torch.mm} rate of 2048 x 2048 products
 * @param onednnGflops best oneDNN linear rate of the same product, or 0 where the engine has none
 * @param triadGBps STREAM triad bandwidth, counting 12 bytes per float element (two reads, one write)
 * @param cpu the CPU's model name and the vector features that decide the kernels
 * @param engineFeatures what the libtorch build was compiled with (MKL, MKLDNN, OPENMP...)
 */
record MachineLimits(double mmGflops, double onednnGflops, double triadGBps, String cpu, List<String> cpuFeatures,
        Set<String> engineFeatures) {

    /** The CPU flags worth reporting: they decide which float32, bfloat16 and int8 kernels run. */
    static final List<String> FEATURES = List.of("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
            "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8");

    private static final int GEMM = 2048;
    private static final long TRIAD_FLOATS = 1L << 25;

    /** The best matrix-multiply rate the engine reaches. */
    double gemmGflops() {
        return Math.max(mmGflops, onednnGflops);
    }

    static MachineLimits measure() {
        List<String> present = FEATURES.stream().filter(CpuFeatures::has).toList();
        try (NDManager m = BlipEngine.newManager(null)) {
            return new MachineLimits(mm(m), onednn(m), triad(m), CpuFeatures.model(), present,
                    new TreeSet<>(JniUtils.getFeatures()));
        }
    }

    /** Whether the CPU has the named flag ({@code /proc/cpuinfo}); false where that cannot be read. */
    boolean has(String feature) {
        return cpuFeatures.contains(feature);
    }

    Map<String, Object> toJson() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("cpu", cpu);
        j.put("cpu_features", cpuFeatures);
        j.put("engine_features", List.copyOf(engineFeatures));
        j.put("gemm_peak_gflops", round(gemmGflops()));
        j.put("mm_gflops", round(mmGflops));
        j.put("onednn_linear_gflops", round(onednnGflops));
        j.put("triad_gb_per_s", round(triadGBps));
        return j;
    }

    private static double mm(NDManager m) {
        try (NDManager s = m.newSubManager()) {
            NDArray a = s.randomUniform(-1, 1, new Shape(GEMM, GEMM));
            NDArray b = s.randomUniform(-1, 1, new Shape(GEMM, GEMM));
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                a.matMul(b).close();
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            return 2.0 * GEMM * GEMM * GEMM / best / 1e9;
        }
    }

    /**
     * The same product through oneDNN ({@code torch.mkldnn_linear} on arrays converted to its
     * layout once, beforehand): one product per call, so that nothing can be optimised away.
     */
    private static double onednn(NDManager m) {
        try (NDManager s = m.newSubManager();
                TorchScript convert = TorchScript.compile("ToOneDnn", "x: Tensor, w: Tensor", "Tuple[Tensor, Tensor]",
                        "return (x.to_mkldnn(), w.to_mkldnn())", s);
                TorchScript linear = TorchScript.compile("OneDnnLinear", "x: Tensor, w: Tensor", "Tensor",
                        "return torch.mkldnn_linear(x, w, None)", s)) {
            NDArray x = s.randomUniform(-1, 1, new Shape(GEMM, GEMM));
            NDArray w = s.randomUniform(-1, 1, new Shape(GEMM, GEMM));
            try (IValue both = convert.call(x, w)) {
                IValue[] xw = both.toIValueTuple();
                try {
                    linear.call(xw[0], xw[1]).close();
                    double best = Double.MAX_VALUE;
                    for (int i = 0; i < 5; i++) {
                        long start = System.nanoTime();
                        linear.call(xw[0], xw[1]).close();
                        best = Math.min(best, (System.nanoTime() - start) / 1e9);
                    }
                    return 2.0 * GEMM * GEMM * GEMM / best / 1e9;
                } finally {
                    for (IValue v : xw) {
                        v.close();
                    }
                }
            }
        } catch (RuntimeException e) { // a libtorch built without oneDNN
            return 0;
        }
    }

    /** {@code torch.add(b, c, alpha=s, out=a)}: one pass, two arrays read and one written, 128 MB each. */
    private static double triad(NDManager m) {
        int passes = 4;
        try (NDManager s = m.newSubManager();
                TorchScript triad = TorchScript.compile("Triad", "a: Tensor, b: Tensor, c: Tensor, passes: int",
                        "Tensor", """
                        for i in range(passes):
                          a = torch.add(b, c, alpha=3.0, out=a)
                        return a
                        """, s)) {
            NDArray a = s.zeros(new Shape(TRIAD_FLOATS));
            NDArray b = s.ones(new Shape(TRIAD_FLOATS));
            NDArray c = s.ones(new Shape(TRIAD_FLOATS));
            triad.apply(s, a, b, c, 1).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                triad.apply(s, a, b, c, passes).close();
                best = Math.min(best, (System.nanoTime() - start) / 1e9 / passes);
            }
            return 3.0 * 4 * TRIAD_FLOATS / best / 1e9;
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
