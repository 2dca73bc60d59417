package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-made pickles exercising offsets, strides, dtypes and wrappers that the golden files lack. */
class TorchCheckpointViewsTest {

    @TempDir
    Path dir;

    @Test
    void transposedViewIsCopiedToRowMajor() throws IOException {
        // storage 0..5 is a [2, 3] matrix; the saved tensor is its transpose: size (3, 2), stride (1, 3)
        byte[] pickle = Crafted.oneTensor("w.t", "FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3});
        StateDict sd = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("t.pth"), pickle, Map.of("0", Crafted.iota(6))));
        TensorData t = sd.get("w.t");
        assertArrayEquals(new long[] {3, 2}, t.shape());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toFloatArray());
    }

    @Test
    void transposedThreeDimensionalView() throws IOException {
        // storage 0..23 as [2, 3, 4]; view permute(2, 0, 1): size (4, 2, 3), stride (1, 12, 4)
        byte[] pickle = Crafted.oneTensor("p", "FloatStorage", "0", 24, 0, new long[] {4, 2, 3}, new long[] {1, 12, 4});
        TensorData t = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("p.pth"), pickle, Map.of("0", Crafted.iota(24)))).get("p");
        float[] expected = new float[24];
        int i = 0;
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 2; b++) {
                for (int c = 0; c < 3; c++) {
                    expected[i++] = b * 12 + c * 4 + a;
                }
            }
        }
        assertArrayEquals(expected, t.toFloatArray());
    }

    @Test
    void storageOffsetIsHonoured() throws IOException {
        // big[3:7].view(2, 2) of a 10-element storage
        byte[] pickle = Crafted.oneTensor("slice", "FloatStorage", "0", 10, 3, new long[] {2, 2}, new long[] {2, 1});
        TensorData t = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("o.pth"), pickle, Map.of("0", Crafted.iota(10)))).get("slice");
        assertArrayEquals(new float[] {3, 4, 5, 6}, t.toFloatArray());
        assertEquals(16, t.data().remaining());
    }

    @Test
    void offsetAndStrideTogether() throws IOException {
        // column 1 of a [3, 4] matrix stored from offset 2: elements 2+1, 2+5, 2+9
        byte[] pickle = Crafted.oneTensor("col", "FloatStorage", "0", 14, 3, new long[] {3}, new long[] {4});
        TensorData t = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("c.pth"), pickle, Map.of("0", Crafted.iota(14)))).get("col");
        assertArrayEquals(new float[] {3, 7, 11}, t.toFloatArray());
    }

    @Test
    void expandedViewWithZeroStride() throws IOException {
        byte[] pickle = Crafted.oneTensor("e", "FloatStorage", "0", 3, 0, new long[] {2, 3}, new long[] {0, 1});
        TensorData t = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("e.pth"), pickle,
                Map.of("0", Crafted.floats(7, 8, 9)))).get("e");
        assertArrayEquals(new float[] {7, 8, 9, 7, 8, 9}, t.toFloatArray());
    }

    @Test
    void sizeOneDimensionsMayHaveAnyStride() throws IOException {
        // torch marks [1, 4] with stride (99, 1) contiguous; it must be sliced, not rejected or gathered
        byte[] pickle = Crafted.oneTensor("r", "FloatStorage", "0", 4, 0, new long[] {1, 4}, new long[] {99, 1});
        TensorData t = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("r.pth"), pickle, Map.of("0", Crafted.iota(4)))).get("r");
        assertArrayEquals(new float[] {0, 1, 2, 3}, t.toFloatArray());
    }

    @Test
    void emptyAndScalarTensors() throws IOException {
        PickleWriter p = dictStart();
        tensor(p, "empty", "FloatStorage", "0", 0, 0, new long[] {0, 3}, new long[] {3, 1});
        tensor(p, "scalar", "LongStorage", "1", 1, 0, new long[] {}, new long[] {});
        StateDict sd = read(p, Map.of("0", new byte[0], "1", longs(-42)));
        assertEquals(0, sd.get("empty").numel());
        assertArrayEquals(new long[] {0, 3}, sd.get("empty").shape());
        assertArrayEquals(new long[] {}, sd.get("scalar").shape());
        assertArrayEquals(new long[] {-42}, sd.get("scalar").toLongArray());
    }

    @Test
    void halfBfloatAndIntegerStorages() throws IOException {
        PickleWriter p = dictStart();
        tensor(p, "h", "HalfStorage", "0", 3, 0, new long[] {3}, new long[] {1});
        tensor(p, "b", "BFloat16Storage", "1", 2, 0, new long[] {2}, new long[] {1});
        tensor(p, "i", "IntStorage", "2", 2, 0, new long[] {2}, new long[] {1});
        tensor(p, "q", "CharStorage", "3", 2, 0, new long[] {2}, new long[] {1});
        tensor(p, "m", "BoolStorage", "4", 2, 0, new long[] {2}, new long[] {1});
        tensor(p, "d", "DoubleStorage", "5", 1, 0, new long[] {1}, new long[] {1});
        ByteBuffer half = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3c00).putShort((short) 0xc000).putShort((short) 0x3555); // 1, -2, 0.33325
        ByteBuffer bf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3fc0).putShort((short) 0xc2f7); // 1.5, -123.5
        ByteBuffer ints = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-7).putInt(1 << 30);
        ByteBuffer dbl = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(Math.PI);
        StateDict sd = read(p, Map.of("0", half.array(), "1", bf.array(), "2", ints.array(),
                "3", new byte[] {-128, 127}, "4", new byte[] {1, 0}, "5", dbl.array()));
        assertEquals(DType.F16, sd.get("h").dtype());
        assertArrayEquals(new float[] {1f, -2f, 0.33325195f}, sd.get("h").toFloatArray());
        assertEquals(DType.BF16, sd.get("b").dtype());
        assertArrayEquals(new float[] {1.5f, -123.5f}, sd.get("b").toFloatArray());
        assertArrayEquals(new long[] {-7, 1 << 30}, sd.get("i").toLongArray());
        assertArrayEquals(new long[] {-128, 127}, sd.get("q").toLongArray());
        assertEquals(DType.BOOL, sd.get("m").dtype());
        assertArrayEquals(new long[] {1, 0}, sd.get("m").toLongArray());
        assertEquals((float) Math.PI, sd.get("d").toFloatArray()[0]);
    }

    @Test
    void viewsOfOneStorageAreDistinctTensorsButIdenticalViewsAreOne() throws IOException {
        // qkv-style split of one storage, plus a tied duplicate of the first view
        PickleWriter p = dictStart();
        tensor(p, "q", "FloatStorage", "0", 6, 0, new long[] {2}, new long[] {1});
        tensor(p, "k", "FloatStorage", "0", 6, 2, new long[] {2}, new long[] {1});
        tensor(p, "v", "FloatStorage", "0", 6, 4, new long[] {2}, new long[] {1});
        tensor(p, "q.tied", "FloatStorage", "0", 6, 0, new long[] {2}, new long[] {1});
        tensor(p, "q.other.shape", "FloatStorage", "0", 6, 0, new long[] {1, 2}, new long[] {2, 1});
        StateDict sd = read(p, Map.of("0", Crafted.iota(6)));
        assertArrayEquals(new float[] {0, 1}, sd.get("q").toFloatArray());
        assertArrayEquals(new float[] {2, 3}, sd.get("k").toFloatArray());
        assertArrayEquals(new float[] {4, 5}, sd.get("v").toFloatArray());
        assertSame(sd.get("q"), sd.get("q.tied"));
        assertNotSame(sd.get("q"), sd.get("q.other.shape"));
        assertEquals(1, sd.sharedTensorCount());
        assertEquals(List.of("q", "k", "v", "q.tied", "q.other.shape"), List.copyOf(sd.tensors().keySet()));
    }

    @Test
    void parametersAndStateDictWrapperAndNonTensorEntries() throws IOException {
        // {'state_dict': OrderedDict(w=Parameter(t), step=5), 'epoch': 3}
        PickleWriter p = new PickleWriter().proto2().emptyDict().mark().string("state_dict");
        p.global("collections", "OrderedDict").emptyTuple().reduce().mark();
        p.string("w").global("torch._utils", "_rebuild_parameter").mark();
        rebuild(p, "FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
        p.newFalse().global("collections", "OrderedDict").emptyTuple().reduce().tupleFromMark().reduce();
        p.string("step").integer(5);
        p.setItems();
        p.string("epoch").integer(3).setItems().stop();
        StateDict sd = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("w.pth"), p.toByteArray(), Map.of("0", Crafted.floats(5, 6))));
        assertArrayEquals(new float[] {5, 6}, sd.get("w").toFloatArray());
        assertEquals(List.of("step"), sd.skippedKeys());
        assertEquals(1, sd.tensors().size());
    }

    @Test
    void protocolFourPickleWithFramesAndStackGlobals() throws IOException {
        // what torch.save(..., pickle_protocol=4) emits: FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL
        Crafted.Raw r = new Crafted.Raw().proto(4).op(0x95).int32(0).int32(0) // FRAME of unknown length
                .shortUnicode("collections").op(0x94).shortUnicode("OrderedDict").op(0x94, 0x93, 0x94, ')', 'R', 0x94)
                .op('(').shortUnicode("x").op(0x94)
                .shortUnicode("torch._utils").op(0x94).shortUnicode("_rebuild_tensor_v2").op(0x94, 0x93, 0x94)
                .op('(').op('(').shortUnicode("storage").op(0x94)
                .shortUnicode("torch").op(0x94).shortUnicode("HalfStorage").op(0x94, 0x93, 0x94)
                .shortUnicode("0").op(0x94).shortUnicode("cpu").op(0x94).op('K', 2).op('t', 0x94, 'Q')
                .op('K', 0).op('K', 2, 0x85, 0x94).op('K', 1, 0x85, 0x94).op(0x89)
                .op('h', 2, ')', 'R', 0x94) // BINGET memo 2: the OrderedDict class again
                .op('t', 0x94, 'R', 0x94, 'u', '.');
        ByteBuffer half = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x4200).putShort((short) 0xbc00);
        StateDict sd = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("p4.pth"), r.build(), Map.of("0", half.array())));
        assertArrayEquals(new float[] {3f, -1f}, sd.get("x").toFloatArray());
    }

    @Test
    void orderedDictBuildKeepsTheItems() throws IOException {
        // torch's state dicts end with BUILD {'_metadata': OrderedDict(...)}; Pyrolite's ClassDict would drop the items
        byte[] base = Crafted.oneTensor("w", "FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
        byte[] noStop = Arrays.copyOf(base, base.length - 1);
        byte[] pickle = new Crafted.Raw().bytes(noStop)
                .op('}').unicode("_metadata").op('h', 0, ')', 'R').unicode("").op('}').unicode("version").op('K', 1, 's', 's')
                .op('s', 'b', '.').build();
        StateDict sd = TorchCheckpoint.read(Crafted.torchZip(dir.resolve("m.pth"), pickle, Map.of("0", Crafted.iota(2))));
        assertEquals(List.of("w"), List.copyOf(sd.tensors().keySet()));
    }

    @Test
    void bigEndianStoragesAreSwapped() throws IOException {
        PickleWriter p = dictStart();
        tensor(p, "f", "FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1});
        tensor(p, "h", "HalfStorage", "1", 1, 0, new long[] {1}, new long[] {1});
        tensor(p, "u", "ByteStorage", "2", 2, 0, new long[] {2}, new long[] {1});
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a/data.pkl", p.setItems().stop().toByteArray());
        entries.put("a/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        entries.put("a/data/0", ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(1.25f).putFloat(-7f).array());
        entries.put("a/data/1", new byte[] {0x3c, 0x00});
        entries.put("a/data/2", new byte[] {5, 6});
        StateDict sd = TorchCheckpoint.read(Crafted.zip(dir.resolve("be.pth"), entries));
        assertArrayEquals(new float[] {1.25f, -7f}, sd.get("f").toFloatArray());
        assertArrayEquals(new float[] {1f}, sd.get("h").toFloatArray());
        assertArrayEquals(new long[] {5, 6}, sd.get("u").toLongArray());
    }

    // --- helpers -----------------------------------------------------------------------------------

    private static PickleWriter dictStart() {
        return new PickleWriter().proto2().global("collections", "OrderedDict").emptyTuple().reduce().mark();
    }

    private static void rebuild(PickleWriter p, String type, String key, long numel, long offset, long[] size, long[] stride) {
        p.global("torch._utils", "_rebuild_tensor_v2").mark();
        p.mark().string("storage").global("torch", type).string(key).string("cpu").integer(numel).tupleFromMark().binPersId();
        p.integer(offset).intTuple(size).intTuple(stride).newFalse();
        p.global("collections", "OrderedDict").emptyTuple().reduce().tupleFromMark().reduce();
    }

    private static void tensor(PickleWriter p, String name, String type, String key, long numel, long offset,
            long[] size, long[] stride) {
        p.string(name);
        rebuild(p, type, key, numel, offset, size, stride);
    }

    private StateDict read(PickleWriter p, Map<String, byte[]> storages) throws IOException {
        return TorchCheckpoint.read(Crafted.torchZip(dir.resolve("x.pth"), p.setItems().stop().toByteArray(), storages));
    }

    private static byte[] longs(long... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }
}
