package dev.blip4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @TempDir
    Path dir;

    // --- real files --------------------------------------------------------------------------------

    /** Values as numpy reads them from the same file. */
    @Test
    void readsGoldenInputs() {
        SafeTensorsFile f = SafeTensors.read(Golden.root().resolve("caption/inputs.safetensors"));
        TensorData pixels = f.tensors().get("pixel_values");
        assertEquals(DType.F32, pixels.dtype());
        assertArrayEquals(new long[] {3, 3, 64, 64}, pixels.shape());
        float[] v = pixels.toFloatArray();
        assertArrayEquals(new float[] {0.5872810482978821f, 0.8792495131492615f, 1.273406982421875f, 1.4339896440505981f},
                Arrays.copyOf(v, 4));
        double sum = 0;
        for (float x : v) {
            sum += x;
        }
        assertEquals(17136.350174601073, sum, 1e-6);

        TensorData raw = f.tensors().get("image0.raw_uint8_hwc");
        assertEquals(DType.U8, raw.dtype());
        assertArrayEquals(new long[] {72, 109, 3}, raw.shape());
        assertArrayEquals(new long[] {161, 159, 75, 172, 147, 110}, Arrays.copyOf(raw.toLongArray(), 6));
        assertEquals(2979254L, Arrays.stream(raw.toLongArray()).sum());

        TensorData ids = f.tensors().get("decoder_prompt.input_ids");
        assertEquals(DType.I64, ids.dtype());
        assertArrayEquals(new long[] {1, 4}, ids.shape());
        assertEquals("decoder_prompt.input_ids", f.tensors().keySet().iterator().next(), "header order is kept");
    }

    @Test
    void readsGoldenHfCheckpointAndMetadata() {
        SafeTensorsFile f = SafeTensors.read(Golden.hf("caption"));
        assertEquals(92, f.tensors().size());
        assertEquals(Map.of("format", "pt", "seed", "1"), f.metadata());
        assertArrayEquals(new long[] {304, 32}, f.tensors().get("text_decoder.cls.predictions.decoder.weight").shape());
        assertEquals(f.tensors().get("text_decoder.bert.embeddings.word_embeddings.weight").data(),
                f.tensors().get("text_decoder.cls.predictions.decoder.weight").data());
    }

    // --- writing -----------------------------------------------------------------------------------

    @Test
    void roundTripKeepsDtypesShapesBytesAndMetadata() throws IOException {
        Map<String, TensorData> in = new LinkedHashMap<>();
        in.put("z.f32", f32(new long[] {2, 3}, 1, -2, 3.5f, 0, Float.MIN_VALUE, Float.NaN));
        in.put("a.i64", new TensorData(DType.I64, new long[] {3},
                ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).putLong(Long.MAX_VALUE).putLong(7).flip()));
        in.put("m.u8", new TensorData(DType.U8, new long[] {2, 2}, ByteBuffer.wrap(new byte[] {0, 1, (byte) 200, (byte) 255})));
        in.put("scalar", f32(new long[] {}, 42));
        in.put("empty", new TensorData(DType.F16, new long[] {0, 5}, ByteBuffer.allocate(0)));
        in.put("h.bf16", new TensorData(DType.BF16, new long[] {1}, ByteBuffer.wrap(new byte[] {(byte) 0x80, 0x3f})));
        Path file = dir.resolve("rt.safetensors");
        SafeTensors.write(file, in, Map.of("format", "pt", "note", "caf\u00e9 \"quoted\""));

        SafeTensorsFile out = SafeTensors.read(file);
        assertEquals(List.of("a.i64", "empty", "h.bf16", "m.u8", "scalar", "z.f32"), List.copyOf(out.tensors().keySet()));
        for (String k : in.keySet()) {
            TensorData a = in.get(k);
            TensorData b = out.tensors().get(k);
            assertEquals(a.dtype(), b.dtype(), k);
            assertArrayEquals(a.shape(), b.shape(), k);
            assertEquals(a.data(), b.data(), k);
        }
        assertEquals(Map.of("format", "pt", "note", "caf\u00e9 \"quoted\""), out.metadata());
        assertEquals(1.0f, out.tensors().get("h.bf16").toFloatArray()[0]);
        assertEquals(Long.MAX_VALUE, out.tensors().get("a.i64").toLongArray()[1]);

        // the layout the reference writer uses: header padded with spaces to 8 bytes, metadata first
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\""), header);
        assertTrue(header.contains("\"a.i64\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]}"), header);
        assertEquals(header.stripTrailing().length() + (header.length() - header.stripTrailing().length()), header.length());
        assertTrue(header.stripTrailing().endsWith("}"));
        assertEquals(8 + n + 24 + 0 + 2 + 4 + 4 + 24, bytes.length);
    }

    @Test
    void rewritingTheGoldenFileGivesTheSameTensors() throws IOException {
        SafeTensorsFile golden = SafeTensors.read(Golden.hf("vqa"));
        Path file = dir.resolve("copy.safetensors");
        SafeTensors.write(file, golden.tensors(), golden.metadata());
        SafeTensorsFile copy = SafeTensors.read(file);
        assertEquals(golden.tensors().keySet(), copy.tensors().keySet());
        golden.tensors().forEach((k, t) -> assertEquals(t.data(), copy.tensors().get(k).data(), k));
        assertEquals(golden.metadata(), copy.metadata());
    }

    @Test
    void noMetadataWritesNone() throws IOException {
        Path file = dir.resolve("nometa.safetensors");
        SafeTensors.write(file, Map.of("x", f32(new long[] {1}, 1)), null);
        assertEquals(Map.of(), SafeTensors.read(file).metadata());
        assertTrue(!new String(Files.readAllBytes(file), StandardCharsets.UTF_8).contains("__metadata__"));
    }

    @Test
    void refusesMetadataAsTensorName() {
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(dir.resolve("x.safetensors"), Map.of("__metadata__", f32(new long[] {1}, 1)), null));
    }

    // --- hostile and broken files ------------------------------------------------------------------

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});
        assertRefused(f, "3 bytes", "too short");
    }

    @Test
    void emptyFile() throws IOException {
        Path f = Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        assertRefused(f, "0 bytes");
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        Path f = file("big.safetensors", 1000, "{}", new byte[0]);
        assertRefused(f, "header length 1000", "past the end of the file");
    }

    @Test
    void headerLengthOverTheHundredMegabyteCap() throws IOException {
        Path f = file("huge.safetensors", 200_000_000L, "{}", new byte[0]);
        assertRefused(f, "header length 200000000", "100000000");
    }

    @Test
    void negativeHeaderLength() throws IOException {
        Path f = file("neg.safetensors", -8, "{}", new byte[0]);
        assertRefused(f, "header length 18446744073709551608");
    }

    @Test
    void headerNotJson() throws IOException {
        assertRefused(file("nojson.safetensors", -1, "{\"a\": {\"dtype\": F32}", new byte[0]), "not valid JSON");
        assertRefused(file("garbage.safetensors", -1, "hello world", new byte[0]), "not");
        assertRefused(file("trailing.safetensors", -1, "{} {}", new byte[0]), "not valid JSON (at line 1 column 5)");
        assertRefused(file("lenient.safetensors", -1, "{a: 1}", new byte[0]), "not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertRefused(file("array.safetensors", -1, "[1, 2]", new byte[0]), "not a JSON object");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] bad = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
        ByteBuffer b = ByteBuffer.allocate(8 + bad.length).order(ByteOrder.LITTLE_ENDIAN).putLong(bad.length).put(bad);
        Path f = Files.write(dir.resolve("latin.safetensors"), b.array());
        assertRefused(f, "UTF-8");
    }

    @Test
    void unknownDtypeIsNamed() throws IOException {
        Path f = file("dtype.safetensors", -1,
                "{\"x.weight\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        assertRefused(f, "tensor 'x.weight'", "unknown dtype 'F8_E4M3'");
    }

    @Test
    void offsetsPastTheEndOfTheDataSection() throws IOException {
        Path f = file("model.safetensors", -1,
                "{\"x.weight\":{\"dtype\":\"F32\",\"shape\":[25],\"data_offsets\":[0,100]}}", new byte[64]);
        assertRefused(f, "model.safetensors: tensor 'x.weight' data_offsets [0, 100] run past the end of the data section (64 bytes; truncated file?)");
    }

    @Test
    void truncatedFile() throws IOException {
        SafeTensorsFile golden = SafeTensors.read(Golden.hf("itm"));
        Path full = dir.resolve("full.safetensors");
        SafeTensors.write(full, golden.tensors(), golden.metadata());
        byte[] bytes = Files.readAllBytes(full);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(bytes, bytes.length - 100));
        assertRefused(cut, "run past the end of the data section");
        Path cutHeader = Files.write(dir.resolve("cuthead.safetensors"), Arrays.copyOf(bytes, 500));
        assertRefused(cutHeader, "past the end of the file");
    }

    @Test
    void overlappingOffsetsNameBothTensors() throws IOException {
        Path f = file("overlap.safetensors", -1, "{"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", new byte[24]);
        assertRefused(f, "tensor 'b' data_offsets [8, 24] overlap tensor 'a' data_offsets [0, 16]");
    }

    @Test
    void containedRangeIsAnOverlapToo() throws IOException {
        Path f = file("inside.safetensors", -1, "{"
                + "\"big\":{\"dtype\":\"U8\",\"shape\":[32],\"data_offsets\":[0,32]},"
                + "\"c\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[20,24]},"
                + "\"small\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", new byte[32]);
        assertRefused(f, "overlap tensor 'big'");
    }

    @Test
    void gapsAreAllowed() throws IOException {
        Path f = file("gaps.safetensors", -1, "{"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[10,12]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[5,5]}}",
                new byte[] {0, 0, 0, 0, 7, 8, 0, 0, 0, 0, 9, 10, 0});
        SafeTensorsFile r = SafeTensors.read(f);
        assertArrayEquals(new long[] {7, 8}, r.tensors().get("a").toLongArray());
        assertArrayEquals(new long[] {9, 10}, r.tensors().get("b").toLongArray());
        assertEquals(0, r.tensors().get("e").numel());
    }

    @Test
    void byteSizeMustMatchShapeTimesDtype() throws IOException {
        Path f = file("size.safetensors", -1,
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[24]);
        assertRefused(f, "tensor 'w'", "hold 20 bytes", "needs 24");
    }

    @Test
    void negativeDimension() throws IOException {
        Path f = file("negdim.safetensors", -1,
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,3],\"data_offsets\":[0,0]}}", new byte[0]);
        assertRefused(f, "tensor 'w'", "negative dimension");
    }

    @Test
    void shapeProductOverflow() throws IOException {
        Path f = file("overflow.safetensors", -1,
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", new byte[0]);
        assertRefused(f, "tensor 'w'", "64 bits");
    }

    @Test
    void offsetsThatAreNotABeginEndPair() throws IOException {
        assertRefused(file("rev.safetensors", -1,
                "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}", new byte[8]), "tensor 'w'", "[begin, end]");
        assertRefused(file("three.safetensors", -1,
                "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0,0]}}", new byte[8]), "tensor 'w'", "[begin, end]");
        assertRefused(file("float.safetensors", -1,
                "{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,0]}}", new byte[8]), "tensor 'w' shape", "1.5");
    }

    @Test
    void missingFieldsAndWrongTypes() throws IOException {
        assertRefused(file("nodtype.safetensors", -1, "{\"w\":{\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]),
                "tensor 'w'", "'dtype'");
        assertRefused(file("notobj.safetensors", -1, "{\"w\":[1,2]}", new byte[1]), "tensor 'w'", "not described by a JSON object");
        assertRefused(file("meta.safetensors", -1, "{\"__metadata__\":{\"a\":1}}", new byte[0]), "__metadata__", "not a string");
        assertRefused(file("dup.safetensors", -1, "{"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", new byte[2]), "'w' twice");
    }

    @Test
    void missingFile() {
        ModelException e = assertThrows(ModelException.class, () -> SafeTensors.read(dir.resolve("nope.safetensors")));
        assertTrue(e.getMessage().contains("nope.safetensors"), e.getMessage());
    }

    // --- helpers -----------------------------------------------------------------------------------

    private static TensorData f32(long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return new TensorData(DType.F32, shape, b.flip());
    }

    /** A file with {@code header} (its true length unless {@code claimedLength >= 0} or != -1). */
    private Path file(String name, long claimedLength, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(claimedLength == -1 ? h.length : claimedLength).put(h).put(data);
        return Files.write(dir.resolve(name), b.array());
    }

    private static void assertRefused(Path file, String... fragments) {
        ModelException e = assertThrows(ModelException.class, () -> SafeTensors.read(file));
        String m = e.getMessage();
        assertTrue(m.contains(file.getFileName().toString()), "message should name the file: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "message should contain '" + f + "': " + m);
        }
    }
}
