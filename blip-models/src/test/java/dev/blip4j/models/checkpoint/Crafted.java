package dev.blip4j.models.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds hand-made (often hostile) checkpoint files for tests: raw pickle bytes and zips. */
final class Crafted {

    private Crafted() {}

    /** Writes a zip with the given entries, in order, deflated. */
    static Path zip(Path file, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    /** A torch-style archive: {@code archive/data.pkl}, {@code archive/data/<key>} storages, version. */
    static Path torchZip(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pickle);
        storages.forEach((k, v) -> entries.put("archive/data/" + k, v));
        entries.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return zip(file, entries);
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** 0, 1, 2, ... n-1 as float32. */
    static byte[] iota(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = i;
        }
        return floats(f);
    }

    /** A pickle of {@code OrderedDict([(name, _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()))])}. */
    static byte[] oneTensor(String name, String storageType, String key, long numel, long offset, long[] size, long[] stride) {
        PickleWriter p = new PickleWriter().proto2();
        p.global("collections", "OrderedDict").emptyTuple().reduce().mark();
        p.string(name);
        p.global("torch._utils", "_rebuild_tensor_v2").mark();
        p.mark().string("storage").global("torch", storageType).string(key).string("cpu").integer(numel).tupleFromMark().binPersId();
        p.integer(offset).intTuple(size).intTuple(stride).newFalse();
        p.global("collections", "OrderedDict").emptyTuple().reduce();
        p.tupleFromMark().reduce();
        return p.setItems().stop().toByteArray();
    }

    /** One {@code _rebuild_tensor_v2} entry of a state dict: a view of storage {@code key}. */
    record View(String name, String storageType, String key, long numel, long offset, long[] size, long[] stride) {

        /** A contiguous float32 view of the whole storage {@code key} of {@code shape}. */
        static View of(String name, String key, long... shape) {
            return of(name, DType.F32, key, shape);
        }

        /** A contiguous view of the whole storage {@code key} of {@code shape}. */
        static View of(String name, DType dtype, String key, long... shape) {
            long[] stride = new long[shape.length];
            long n = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                stride[i] = n;
                n *= shape[i];
            }
            return new View(name, dtype.torchStorageName(), key, n, 0, shape, stride);
        }
    }

    /** A pickle of an {@code OrderedDict} of the given views, in order. */
    static byte[] stateDict(List<View> views) {
        PickleWriter p = new PickleWriter().proto2();
        p.global("collections", "OrderedDict").emptyTuple().reduce().mark();
        for (View v : views) {
            p.string(v.name());
            p.global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark().string("storage").global("torch", v.storageType()).string(v.key()).string("cpu").integer(v.numel())
                    .tupleFromMark().binPersId();
            p.integer(v.offset()).intTuple(v.size()).intTuple(v.stride()).newFalse();
            p.global("collections", "OrderedDict").emptyTuple().reduce();
            p.tupleFromMark().reduce();
        }
        return p.setItems().stop().toByteArray();
    }

    /** Raw pickle bytes, opcode by opcode, for pickles no well-behaved writer would produce. */
    static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Raw proto(int version) {
            return op(0x80, version);
        }

        /** GLOBAL 'module name' (text form, protocols 0-3). */
        Raw global(String module, String name) {
            op('c');
            ascii(module + "\n" + name + "\n");
            return this;
        }

        /** SHORT_BINUNICODE (protocol 4). */
        Raw shortUnicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op(0x8c, b.length);
            out.write(b, 0, b.length);
            return this;
        }

        /** BINUNICODE with a 4-byte length. */
        Raw unicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            int32(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        Raw ascii(String s) {
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            out.write(b, 0, b.length);
            return this;
        }

        Raw int32(int v) {
            return op(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
        }

        Raw bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        byte[] build() {
            return out.toByteArray();
        }
    }
}
