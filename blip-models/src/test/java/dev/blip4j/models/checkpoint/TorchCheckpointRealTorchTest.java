package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.ModelException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Files written by torch 2.11 itself (see src-test-resources/checkpoint/README.md): every view,
 * dtype and pickle flavour must come back equal to the contiguous copies the safetensors library
 * wrote next to them.
 */
class TorchCheckpointRealTorchTest {

    private static final List<String> MIXED_KEYS = List.of("f32", "f16", "bf16", "f64", "i64", "i32", "i16", "i8",
            "u8", "bool", "base", "transposed", "slice", "column", "expanded", "tied", "scalar", "empty", "param",
            "permuted");

    private static final Map<String, TensorData> EXPECTED =
            SafeTensors.read(Golden.torchFixture("torch_expected.safetensors")).tensors();

    @Test
    void protocol2StateDictWithViewsAndEveryDtype() {
        StateDict sd = TorchCheckpoint.read(Golden.torchFixture("torch_mixed.pth"));
        assertEquals(MIXED_KEYS, List.copyOf(sd.tensors().keySet()));
        assertMatchesExpected(sd, "");
        assertSame(sd.get("base"), sd.get("tied"));
        assertNotSame(sd.get("base"), sd.get("transposed"));
        assertEquals(1, sd.sharedTensorCount());
    }

    @Test
    void protocol4WithModelWrapperAndOtherTopLevelEntries() {
        StateDict sd = TorchCheckpoint.read(Golden.torchFixture("torch_mixed_p4.pth"));
        assertEquals(MIXED_KEYS, List.copyOf(sd.tensors().keySet()));
        assertMatchesExpected(sd, "");
        assertSame(sd.get("base"), sd.get("tied"));
    }

    @Test
    void moduleStateDictWithMetadata() {
        StateDict sd = TorchCheckpoint.read(Golden.torchFixture("torch_module.pth"));
        assertEquals(12, sd.tensors().size());
        assertEquals("self_attn.in_proj_weight", sd.tensors().keySet().iterator().next());
        assertArrayEquals(new long[] {24, 8}, sd.get("self_attn.in_proj_weight").shape());
        assertMatchesExpected(sd, "module.");
    }

    @Test
    void spotValues() {
        StateDict sd = TorchCheckpoint.read(Golden.torchFixture("torch_mixed.pth"));
        assertArrayEquals(new long[] {-1, Integer.MAX_VALUE}, sd.get("i32").toLongArray());
        assertArrayEquals(new long[] {-128, 127}, sd.get("i8").toLongArray());
        assertArrayEquals(new long[] {0, 255}, sd.get("u8").toLongArray());
        assertArrayEquals(new long[] {1, 0, 1}, sd.get("bool").toLongArray());
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, sd.get("expanded").toFloatArray());
        assertArrayEquals(new float[] {3.5f}, sd.get("scalar").toFloatArray());
        assertArrayEquals(new long[] {0, 4}, sd.get("empty").shape());
        // transposed[j][i] == base[i][j]
        float[] base = sd.get("base").toFloatArray();
        float[] tr = sd.get("transposed").toFloatArray();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(base[i * 6 + j], tr[j * 4 + i]);
            }
        }
    }

    @Test
    void legacyFormatIsRefusedWithAdvice() {
        ModelException e = assertThrows(ModelException.class,
                () -> TorchCheckpoint.read(Golden.torchFixture("torch113_legacy.pth")));
        assertTrue(e.getMessage().contains("torch113_legacy.pth: legacy (non-zip) torch serialization is not supported"),
                e.getMessage());
    }

    private static void assertMatchesExpected(StateDict sd, String prefix) {
        for (Map.Entry<String, TensorData> e : sd.tensors().entrySet()) {
            TensorData want = EXPECTED.get(prefix + e.getKey());
            TensorData got = e.getValue();
            assertEquals(want.dtype(), got.dtype(), e.getKey());
            assertArrayEquals(want.shape(), got.shape(), e.getKey());
            assertEquals(want.data(), got.data(), e.getKey()); // bit for bit
        }
    }
}
