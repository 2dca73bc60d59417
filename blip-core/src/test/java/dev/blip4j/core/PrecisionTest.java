package dev.blip4j.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * bfloat16 is refused, by a message naming the missing CPU feature, on a CPU without AVX512_BF16 or
 * AMX (an AVX2-only machine, or one whose flags cannot be read), whatever CPU the tests run on.
 */
class PrecisionTest {

    private static final Set<String> AVX2 = Set.of("avx", "avx2", "fma", "sse4_2");

    @Test
    void bfloat16IsRefusedWithoutTheInstructions() {
        InputException e = assertThrows(InputException.class,
                () -> Precision.BFLOAT16.requireSupported("Intel(R) Xeon(R) E5-2690 v4", AVX2));
        assertEquals("bfloat16 needs a CPU with AVX512_BF16 or AMX-BF16; this one (Intel(R) Xeon(R) E5-2690 v4) "
                + "has neither: use float32 or --quantize int8", e.getMessage());
        InputException unreadable = assertThrows(InputException.class,
                () -> Precision.BFLOAT16.requireSupported("aarch64", Set.of()));
        assertTrue(unreadable.getMessage().contains("no readable CPU flags"), unreadable.getMessage());
    }

    @Test
    void bfloat16RunsWhereTheCpuHasIt() {
        assertDoesNotThrow(() -> Precision.BFLOAT16.requireSupported("AMD EPYC", Set.of("avx512f", "avx512_bf16")));
        assertDoesNotThrow(() -> Precision.BFLOAT16.requireSupported("Intel Xeon", Set.of("amx_bf16")));
    }

    @Test
    void float32AndInt8NeedNothing() {
        assertDoesNotThrow(() -> Precision.FLOAT.requireSupported("any", Set.of()));
        assertDoesNotThrow(() -> Precision.INT8.requireSupported("any", AVX2));
    }

    @Test
    void namesParseAndUnknownOnesAreRefused() {
        assertEquals(Precision.BFLOAT16, Precision.parse("BF16"));
        assertEquals(Precision.INT8, Precision.parse("int8"));
        assertEquals(Precision.FLOAT, Precision.parse("float32"));
        InputException e = assertThrows(InputException.class, () -> Precision.parse("fp8"));
        assertTrue(e.getMessage().contains("'fp8'"), e.getMessage());
    }
}
