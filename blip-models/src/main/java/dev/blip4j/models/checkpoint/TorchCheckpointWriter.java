package dev.blip4j.models.checkpoint;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a state dict as a {@code torch.save} zip checkpoint that {@code torch.load} (also with
 * {@code weights_only=True}) and {@link TorchCheckpoint} read: {@code <archive>/data.pkl} (protocol-2
 * pickle of an {@code OrderedDict} of {@code _rebuild_tensor_v2} calls over persistent storage ids),
 * one uncompressed {@code <archive>/data/<key>} entry per storage, aligned to 64 bytes as torch
 * aligns them (so the file can be memory-mapped), plus {@code version} and {@code byteorder}.
 *
 * <p>It exists to produce test and benchmark checkpoints (for instance a full-size random BLIP) on
 * machines without Python, so it streams: only the pickle is built in memory, each tensor goes
 * straight from its buffer to the file. Entries that are the same {@link TensorData} instance become
 * one shared storage, which is how torch stores tied weights.
 */
public final class TorchCheckpointWriter {

    /** What the pickle's top-level object is. */
    public enum Layout {
        /** The state dict itself, as HuggingFace's {@code pytorch_model.bin}. */
        STATE_DICT,
        /** {@code {'model': state_dict}}, as the original Salesforce BLIP checkpoints. */
        BLIP_MODEL
    }

    /** torch's alignment of storage data inside the zip. */
    static final int ALIGNMENT = 64;
    /** CPython's pickler splits SETITEMS into batches of this many items. */
    private static final int BATCH = 1000;
    /**
     * A fixed timestamp keeps the output byte-for-byte reproducible. Not 1980-01-01: the JDK treats
     * that DOS epoch as "out of range" and adds an extended-timestamp extra field, which would shift
     * the data off its alignment.
     */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(2000, 1, 1, 0, 0);

    private TorchCheckpointWriter() {}

    /** Writes {@code stateDict} as the top-level object ({@link Layout#STATE_DICT}). */
    public static void write(Path file, Map<String, TensorData> stateDict) throws IOException {
        write(file, stateDict, Layout.STATE_DICT);
    }

    /**
     * Writes the checkpoint; the zip's folder is named after the file (as torch does), the file is
     * moved into place only once complete.
     */
    public static void write(Path file, Map<String, TensorData> stateDict, Layout layout) throws IOException {
        Objects.requireNonNull(layout, "layout");
        Map<TensorData, String> storageKeys = new IdentityHashMap<>();
        Map<String, TensorData> storages = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : stateDict.entrySet()) {
            Objects.requireNonNull(e.getKey(), "state dict key");
            TensorData td = Objects.requireNonNull(e.getValue(), () -> "tensor '" + e.getKey() + "'");
            storageKeys.computeIfAbsent(td, t -> {
                String key = Integer.toString(storages.size());
                storages.put(key, t);
                return key;
            });
        }
        byte[] pickle = pickle(stateDict, storageKeys, layout);
        String archive = archiveName(file);

        AtomicFileWriter.write(file, tmp -> {
            try (CountingOutputStream counter = new CountingOutputStream(
                            new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16));
                    ZipOutputStream zip = new ZipOutputStream(counter)) {
                putStored(zip, counter, archive + "/data.pkl", ByteBuffer.wrap(pickle));
                putStored(zip, counter, archive + "/byteorder", ascii("little"));
                for (Map.Entry<String, TensorData> s : storages.entrySet()) {
                    putStored(zip, counter, archive + "/data/" + s.getKey(), s.getValue().data());
                }
                putStored(zip, counter, archive + "/version", ascii("3\n"));
            }
        });
    }

    private static byte[] pickle(Map<String, TensorData> stateDict, Map<TensorData, String> storageKeys, Layout layout) {
        PickleWriter p = new PickleWriter().proto2();
        if (layout == Layout.BLIP_MODEL) {
            p.emptyDict().string("model");
        }
        p.global("collections", "OrderedDict").emptyTuple().reduce();
        int inBatch = 0;
        for (Map.Entry<String, TensorData> e : stateDict.entrySet()) {
            if (inBatch == 0) {
                p.mark();
            }
            TensorData td = e.getValue();
            long[] shape = td.shape();
            p.string(e.getKey());
            p.global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark().string("storage").global("torch", td.dtype().torchStorageName())
                    .string(storageKeys.get(td)).string("cpu").integer(td.numel()).tupleFromMark().binPersId();
            p.integer(0).intTuple(shape).intTuple(contiguousStrides(shape)).newFalse();
            p.global("collections", "OrderedDict").emptyTuple().reduce(); // backward_hooks
            p.tupleFromMark().reduce();
            if (++inBatch == BATCH) {
                p.setItems();
                inBatch = 0;
            }
        }
        if (inBatch > 0) {
            p.setItems();
        }
        if (layout == Layout.BLIP_MODEL) {
            p.setItem();
        }
        return p.stop().toByteArray();
    }

    /** Row-major strides as torch computes them (a size-0 dimension counts as 1). */
    static long[] contiguousStrides(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return stride;
    }

    /** One uncompressed entry whose data starts on a multiple of {@link #ALIGNMENT}. */
    private static void putStored(ZipOutputStream zip, CountingOutputStream counter, String name, ByteBuffer data)
            throws IOException {
        ByteBuffer b = data.duplicate();
        CRC32 crc = new CRC32();
        crc.update(b.duplicate());
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(b.remaining());
        e.setCompressedSize(b.remaining());
        e.setCrc(crc.getValue());
        e.setTimeLocal(ENTRY_TIME);
        // Local header: 30 bytes + name + extra. Pad the extra field (id "FB", as torch) so data aligns.
        long headerEnd = counter.count() + 30 + name.getBytes(StandardCharsets.UTF_8).length + 4;
        int pad = (int) ((ALIGNMENT - headerEnd % ALIGNMENT) % ALIGNMENT);
        byte[] extra = new byte[4 + pad];
        extra[0] = 'F';
        extra[1] = 'B';
        extra[2] = (byte) pad;
        extra[3] = (byte) (pad >>> 8);
        for (int i = 4; i < extra.length; i++) {
            extra[i] = 'Z';
        }
        e.setExtra(extra);
        zip.putNextEntry(e);
        if (b.hasArray()) {
            zip.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
        } else {
            byte[] chunk = new byte[Math.min(b.remaining(), 1 << 20)];
            while (b.hasRemaining()) {
                int n = Math.min(chunk.length, b.remaining());
                b.get(chunk, 0, n);
                zip.write(chunk, 0, n);
            }
        }
        zip.closeEntry();
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** torch names the zip's folder after the file, without its extension. */
    static String archiveName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return stem.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*") ? stem : "archive";
    }

    /** Knows where the next byte lands, to place each entry's padding. */
    private static final class CountingOutputStream extends FilterOutputStream {
        private long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        long count() {
            return count;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
