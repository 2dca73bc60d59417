package dev.blip4j.core;

import java.util.Locale;
import java.util.Set;

/**
 * How a model keeps the weights of its linear layers (where nearly all its bytes and arithmetic
 * are); everything else (embeddings, LayerNorms, attention) stays float32.
 */
public enum Precision {
    /** The weights as loaded (float32, or float16 when the whole model is asked for in float16). */
    FLOAT,
    /** bfloat16 weights, oneDNN's bfloat16 products: needs a CPU with AVX512_BF16 (or AMX). */
    BFLOAT16,
    /** int8 weights per output channel, dynamically quantized products (fbgemm), as PyTorch's quantize_dynamic. */
    INT8;

    /** {@code float}, {@code bfloat16} or {@code int8}, case-insensitive. */
    public static Precision parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "float", "float32", "none" -> FLOAT;
            case "bfloat16", "bf16" -> BFLOAT16;
            case "int8" -> INT8;
            default -> throw new InputException("unknown precision '" + name + "' (float32, bfloat16, int8)");
        };
    }

    /**
     * Refuses a precision this CPU cannot run natively, saying why: bfloat16 without AVX512_BF16
     * or AMX would fall back to slow emulation in oneDNN.
     *
     * @throws InputException naming the missing feature
     */
    public void requireSupported() {
        requireSupported(CpuFeatures.model(), CpuFeatures.flags());
    }

    /** As {@link #requireSupported()}, for a CPU described by its model name and flags. */
    void requireSupported(String cpu, Set<String> flags) {
        if (this == BFLOAT16 && !flags.contains("avx512_bf16") && !flags.contains("amx_bf16")) {
            throw new InputException("bfloat16 needs a CPU with AVX512_BF16 or AMX-BF16; this one (" + cpu + ") has "
                    + (flags.isEmpty() ? "no readable CPU flags" : "neither") + ": use float32 or --quantize int8");
        }
    }
}
