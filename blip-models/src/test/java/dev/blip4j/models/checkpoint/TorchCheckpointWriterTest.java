package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import net.razorvine.pickle.Unpickler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchCheckpointWriterTest {

    @TempDir
    Path dir;

    @Test
    void goldenCheckpointSurvivesARoundTripInBlipLayout() throws IOException {
        StateDict golden = TorchCheckpoint.read(Golden.pth("caption"));
        Path file = dir.resolve("copy.pth");
        TorchCheckpointWriter.write(file, golden.tensors(), TorchCheckpointWriter.Layout.BLIP_MODEL);

        StateDict copy = TorchCheckpoint.read(file);
        assertEquals(List.copyOf(golden.tensors().keySet()), List.copyOf(copy.tensors().keySet()));
        for (String k : golden.tensors().keySet()) {
            TensorData a = golden.get(k);
            TensorData b = copy.get(k);
            assertEquals(a.dtype(), b.dtype(), k);
            assertArrayEquals(a.shape(), b.shape(), k);
            assertEquals(a.data(), b.data(), k);
        }
        assertEquals(2, copy.sharedTensorCount());
        assertSame(copy.get("text_decoder.bert.embeddings.word_embeddings.weight"),
                copy.get("text_decoder.cls.predictions.decoder.weight"));
        assertSame(copy.get("text_decoder.cls.predictions.bias"), copy.get("text_decoder.cls.predictions.decoder.bias"));

        try (ZipFile zip = new ZipFile(file.toFile())) {
            assertEquals(92, zip.stream().filter(e -> e.getName().startsWith("copy/data/")).count(), "one entry per storage");
            assertEquals("3\n", new String(zip.getInputStream(zip.getEntry("copy/version")).readAllBytes(), StandardCharsets.US_ASCII));
            assertEquals("little", new String(zip.getInputStream(zip.getEntry("copy/byteorder")).readAllBytes(), StandardCharsets.US_ASCII));
            assertTrue(zip.stream().allMatch(e -> e.getMethod() == ZipEntry.STORED));
            // the pickle's top level is {'model': OrderedDict(...)}: EMPTY_DICT then 'model'
            byte[] pkl = zip.getInputStream(zip.getEntry("copy/data.pkl")).readAllBytes();
            assertEquals('}', pkl[2]);
            assertEquals("model", new String(pkl, 8, 5, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void halfAndBfloatRoundTrip() throws IOException {
        float[] values = {0f, 1f, -2.5f, 65504f, 6.1035156e-05f, 0.099975586f, Float.POSITIVE_INFINITY, -0f};
        Map<String, TensorData> sd = new LinkedHashMap<>();
        sd.put("half", new TensorData(DType.F16, new long[] {2, 4}, halfBits(
                0x0000, 0x3c00, 0xc100, 0x7bff, 0x0400, 0x2e66, 0x7c00, 0x8000)));
        sd.put("bf16", new TensorData(DType.BF16, new long[] {8}, bf16(values)));
        Path file = dir.resolve("half.pth");
        TorchCheckpointWriter.write(file, sd);
        StateDict back = TorchCheckpoint.read(file);
        assertEquals(DType.F16, back.get("half").dtype());
        assertArrayEquals(values, back.get("half").toFloatArray());
        assertEquals(DType.BF16, back.get("bf16").dtype());
        float[] bf = back.get("bf16").toFloatArray();
        for (int i = 0; i < values.length; i++) {
            // bf16 keeps 8 significant bits: truncation of the float bits
            assertEquals(Float.intBitsToFloat(Float.floatToRawIntBits(values[i]) & 0xffff0000), bf[i], "index " + i);
        }
        assertArrayEquals(new long[] {2, 4}, back.get("half").shape());
    }

    @Test
    void everyDtypeAndOddShapesRoundTrip() throws IOException {
        Map<String, TensorData> sd = new LinkedHashMap<>();
        for (DType t : DType.values()) {
            byte[] bytes = new byte[3 * t.byteSize()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (i * 37 + t.ordinal());
            }
            sd.put("t." + t, new TensorData(t, new long[] {3}, ByteBuffer.wrap(bytes)));
        }
        sd.put("scalar", new TensorData(DType.F32, new long[] {}, ByteBuffer.allocate(4)));
        sd.put("empty", new TensorData(DType.F32, new long[] {0, 70000}, ByteBuffer.allocate(0)));
        sd.put("wide", new TensorData(DType.U8, new long[] {1, 70000, 1, 1, 2}, ByteBuffer.allocate(140000)));
        ByteBuffer direct = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-3f).flip();
        sd.put("direct", new TensorData(DType.F32, new long[] {2}, direct));
        Path file = dir.resolve("all.pth");
        TorchCheckpointWriter.write(file, sd);
        StateDict back = TorchCheckpoint.read(file);
        assertEquals(List.copyOf(sd.keySet()), List.copyOf(back.tensors().keySet()));
        for (String k : sd.keySet()) {
            assertEquals(sd.get(k).dtype(), back.get(k).dtype(), k);
            assertArrayEquals(sd.get(k).shape(), back.get(k).shape(), k);
            assertEquals(sd.get(k).data(), back.get(k).data(), k);
        }
        assertArrayEquals(new float[] {1.5f, -3f}, back.get("direct").toFloatArray());
    }

    @Test
    void sameInstanceIsOneStorageEqualContentIsNot() throws IOException {
        TensorData shared = f32(1, 2, 3);
        Map<String, TensorData> sd = new LinkedHashMap<>();
        sd.put("a", shared);
        sd.put("b", f32(1, 2, 3)); // equal values, different instance: stays separate
        sd.put("a.alias", shared);
        Path file = dir.resolve("tied.pth");
        TorchCheckpointWriter.write(file, sd);
        StateDict back = TorchCheckpoint.read(file);
        assertSame(back.get("a"), back.get("a.alias"));
        assertNotSame(back.get("a"), back.get("b"));
        assertEquals(1, back.sharedTensorCount());
        try (ZipFile zip = new ZipFile(file.toFile())) {
            assertEquals(2, zip.stream().filter(e -> e.getName().startsWith("tied/data/")).count());
        }
    }

    @Test
    void moreEntriesThanOnePickleBatchKeepTheirOrder() throws IOException {
        Map<String, TensorData> sd = new LinkedHashMap<>();
        for (int i = 2600; i > 0; i--) { // descending, so any hash or sort order would show
            sd.put("layer." + i + ".w", f32(i));
        }
        Path file = dir.resolve("many.pth");
        TorchCheckpointWriter.write(file, sd);
        StateDict back = TorchCheckpoint.read(file);
        assertEquals(List.copyOf(sd.keySet()), List.copyOf(back.tensors().keySet()));
        assertArrayEquals(new float[] {1234}, back.get("layer.1234.w").toFloatArray());
    }

    @Test
    void storagesAreAlignedTo64BytesInTheFile() throws IOException {
        Map<String, TensorData> sd = new LinkedHashMap<>();
        sd.put("odd", new TensorData(DType.U8, new long[] {3}, ByteBuffer.wrap(new byte[] {1, 2, 3})));
        sd.put("w", f32(1, 2, 3, 4, 5));
        sd.put("x", new TensorData(DType.U8, new long[] {1}, ByteBuffer.wrap(new byte[] {9})));
        Path file = dir.resolve("aligned.pth");
        TorchCheckpointWriter.write(file, sd);
        List<long[]> entries = localEntries(Files.readAllBytes(file));
        assertEquals(6, entries.size()); // data.pkl, byteorder, 3 storages, version
        for (long[] e : entries) {
            assertEquals(0, e[0] % TorchCheckpointWriter.ALIGNMENT, "data offset " + e[0]);
        }
    }

    @Test
    void outputIsReproducibleAndLeavesNoTemporaryFiles() throws IOException {
        Map<String, TensorData> sd = Map.of("w", f32(1, 2));
        Path a = dir.resolve("a/model.pth");
        Path b = dir.resolve("b/model.pth");
        TorchCheckpointWriter.write(a, sd);
        TorchCheckpointWriter.write(b, sd);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        TorchCheckpointWriter.write(a, Map.of("w", f32(3))); // overwrite in place
        assertArrayEquals(new float[] {3}, TorchCheckpoint.read(a).get("w").toFloatArray());
        try (Stream<Path> files = Files.list(a.getParent())) {
            assertEquals(List.of(a), files.toList());
        }
    }

    @Test
    void archiveFolderIsNamedAfterTheFile() {
        assertEquals("pytorch_model", TorchCheckpointWriter.archiveName(Path.of("x/pytorch_model.bin")));
        assertEquals("model_base", TorchCheckpointWriter.archiveName(Path.of("model_base.pth")));
        assertEquals("archive", TorchCheckpointWriter.archiveName(Path.of("..pth")));
        assertEquals("archive", TorchCheckpointWriter.archiveName(Path.of("m\u00f6del.pth")));
    }

    /** Each int is encoded as CPython would and decodes (with a plain Pyrolite) to the same value. */
    @Test
    void integerEncodingDecodesBack() throws IOException {
        long[] values = {0, 1, 255, 256, 65535, 65536, -1, -256, Integer.MAX_VALUE, Integer.MIN_VALUE,
            1L << 31, -(1L << 31) - 1, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, 0x80L << 32};
        for (long v : values) {
            byte[] pickle = new PickleWriter().proto2().integer(v).stop().toByteArray();
            Object decoded = new Unpickler().loads(pickle);
            long got = decoded instanceof BigInteger bi ? bi.longValueExact() : ((Number) decoded).longValue();
            assertEquals(v, got, "value " + v);
        }
        assertArrayEquals(new byte[] {(byte) 0x80, 2, 'K', 7, '.'}, new PickleWriter().proto2().integer(7).stop().toByteArray());
        assertArrayEquals(new byte[] {(byte) 0x80, 2, (byte) 0x8a, 5, 0, 0, 0, (byte) 0x80, 0, '.'},
                new PickleWriter().proto2().integer(1L << 31).stop().toByteArray());
    }

    @Test
    void contiguousStridesFollowTorch() {
        assertArrayEquals(new long[] {12, 4, 1}, TorchCheckpointWriter.contiguousStrides(new long[] {2, 3, 4}));
        assertArrayEquals(new long[] {3, 3, 1}, TorchCheckpointWriter.contiguousStrides(new long[] {2, 0, 3}));
        assertArrayEquals(new long[] {}, TorchCheckpointWriter.contiguousStrides(new long[] {}));
    }

    // --- helpers -----------------------------------------------------------------------------------

    private static TensorData f32(float... v) {
        return new TensorData(DType.F32, new long[] {v.length}, ByteBuffer.wrap(Crafted.floats(v)));
    }

    private static ByteBuffer halfBits(int... bits) {
        ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : bits) {
            b.putShort((short) x);
        }
        return b.flip();
    }

    private static ByteBuffer bf16(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
        }
        return b.flip();
    }

    /** Walks the local file headers (our writer uses no data descriptors): {dataOffset, size} each. */
    private static List<long[]> localEntries(byte[] zip) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        List<long[]> out = new ArrayList<>();
        int pos = 0;
        while (b.getInt(pos) == 0x04034b50) {
            assertEquals(0, b.getShort(pos + 6) & 0x08, "no data descriptor expected");
            long size = b.getInt(pos + 18) & 0xffffffffL;
            int nameLen = b.getShort(pos + 26) & 0xffff;
            int extraLen = b.getShort(pos + 28) & 0xffff;
            long data = pos + 30L + nameLen + extraLen;
            out.add(new long[] {data, size});
            pos = (int) (data + size);
        }
        return out;
    }
}
