package dev.blip4j.models.checkpoint;

import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads the state dict out of a PyTorch checkpoint ({@code torch.save} zip format: original
 * Salesforce BLIP {@code .pth}, HuggingFace {@code pytorch_model.bin}) without Python or libtorch.
 *
 * <p>The zip holds {@code <archive>/data.pkl}, a pickle of the object graph whose tensors point
 * through persistent ids at raw little-endian storages {@code <archive>/data/<key>}. The pickle is
 * untrusted code in disguise, so it runs through {@link TorchUnpickler}, which allows only the
 * globals a state dict needs. Everything the pickle claims (storage sizes, tensor views) is checked
 * against the zip before memory is allocated for it.
 *
 * <p>Storages are little-endian unless the archive's {@code byteorder} entry (torch 2.1+) says
 * {@code big}; such storages are swapped to little-endian on reading.
 *
 * <p>Accepted top levels: the state dict itself, {@code {'model': state_dict}} (Salesforce BLIP) and
 * {@code {'state_dict': state_dict}}. A storage is read once however many tensors view it; views
 * that are identical (tied weights) come back as one {@link TensorData}; a non-contiguous view is
 * copied to row-major order; a contiguous one shares its storage's buffer.
 *
 * <p>What a small file can make the reader allocate is bounded by what it stores: a
 * {@link TensorSelection} sees every name before any storage is read, so tensors the caller does
 * not want cost nothing and a file can be refused for them first; the copies made for
 * non-contiguous views (transposes, and the broadcasts and overlapping strides with which a
 * one-element storage can pose as gigabytes) may not exceed the storages read plus
 * {@link #MAX_COPY_MARGIN_BYTES}; a zip entry name may appear only once; and compressed storages
 * may not inflate to more than {@link #MAX_DEFLATE_RATIO} times their stored bytes (torch writes
 * storages uncompressed).
 */
public final class TorchCheckpoint {

    /** A state dict's pickle is kilobytes to a few megabytes; the tensors live outside it. */
    static final long MAX_PICKLE_BYTES = 64L << 20;

    /**
     * torch.save stores entries uncompressed; a re-zipped checkpoint of float weights deflates by a
     * few percent. Zeros deflate a thousandfold, which is how a megabyte file claims gigabytes.
     */
    static final long MAX_DEFLATE_RATIO = 8;

    /** What compressed storages may inflate to beyond the ratio (empty and tiny tensors compress well). */
    private static final long DEFLATE_SLACK_BYTES = 1L << 20;

    /**
     * Non-contiguous views are copied; together they may take as much as the storages read plus
     * this. Real checkpoints copy at most a transposed weight or an expanded buffer.
     */
    static final long MAX_COPY_MARGIN_BYTES = 64L << 20;

    private static final String LEGACY = "legacy (non-zip) torch serialization is not supported,"
            + " re-save with torch.save(..., _use_new_zipfile_serialization=True)";

    private TorchCheckpoint() {}

    /** Reads every tensor of the checkpoint. */
    public static StateDict read(Path file) {
        return read(file, TensorSelection.ALL);
    }

    /**
     * Reads the tensors {@code selection} picks from the names of all of them; it is called once,
     * before any storage is read, and may refuse the file by throwing.
     */
    public static StateDict read(Path file, TensorSelection selection) {
        String where = file.toString();
        long fileSize;
        byte[] magic;
        try (InputStream in = Files.newInputStream(file)) {
            fileSize = Files.size(file);
            magic = in.readNBytes(4);
        } catch (NoSuchFileException e) {
            throw new ModelException(where + ": no such file");
        } catch (IOException e) {
            throw new ModelException(where + ": cannot read: " + e, e);
        }
        if (fileSize == 0) {
            throw new ModelException(where + ": file is empty");
        }
        if (magic.length > 0 && (magic[0] & 0xff) == 0x80) { // a bare pickle: torch's format before 1.6
            throw new ModelException(where + ": " + LEGACY);
        }
        boolean zipMagic = magic.length == 4 && magic[0] == 'P' && magic[1] == 'K'
                && ((magic[2] == 3 && magic[3] == 4) || (magic[2] == 5 && magic[3] == 6));
        if (!zipMagic) {
            throw new ModelException(where + ": not a zip archive (first bytes " + hex(magic)
                    + "); a torch.save checkpoint is a zip file");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return new Reader(where, zip, fileSize, selection).read();
        } catch (ZipException e) {
            throw new ModelException(where + ": corrupt or truncated zip archive: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelException(where + ": corrupt or truncated zip archive: " + e, e);
        } catch (ModelException e) {
            throw e;
        } catch (RuntimeException e) { // a case the checks above missed: still name the file
            throw new ModelException(where + ": unreadable checkpoint: " + e, e);
        }
    }

    /** One read of one archive. */
    private static final class Reader implements TorchUnpickler.StorageResolver {
        private final String where;
        private final ZipFile zip;
        private final long fileSize;
        private String archive;
        private boolean bigEndian;
        private final TensorSelection selection;
        private final Map<String, ByteBuffer> storageBytes = new HashMap<>();
        /** Bytes of the storages the wanted tensors view, and of the copies made for non-contiguous views. */
        private long readBytes;
        private long copiedBytes;
        /** Compressed storages seen, and their inflated and stored bytes together. */
        private final Set<String> deflated = new HashSet<>();
        private long inflatedBytes;
        private long storedBytes;

        Reader(String where, ZipFile zip, long fileSize, TensorSelection selection) {
            this.where = where;
            this.zip = zip;
            this.fileSize = fileSize;
            this.selection = selection;
        }

        StateDict read() throws IOException {
            ZipEntry pickleEntry = findPickle();
            bigEndian = readByteOrder();
            byte[] pickle = readEntry(pickleEntry, pickleEntry.getSize(), MAX_PICKLE_BYTES, "pickle", false).array();
            Object top = new TorchUnpickler(where, this).unpickle(pickle);
            return materialize(selectStateDict(top));
        }

        private ZipEntry findPickle() {
            List<ZipEntry> pickles = new ArrayList<>();
            List<String> names = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            boolean torchScript = false;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                String name = e.getName();
                checkEntryName(name);
                if (!seen.add(name)) {
                    // torch.load reads the first copy, java.util.zip the last: the file means two things.
                    throw new ModelException(where + ": zip entry '" + name + "' appears more than once;"
                            + " readers disagree on which copy counts, refusing the ambiguous file");
                }
                names.add(name);
                int slash = name.indexOf('/');
                if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                    pickles.add(e);
                }
                if (slash > 0 && name.substring(slash + 1).equals("constants.pkl")) {
                    torchScript = true;
                }
            }
            if (pickles.isEmpty()) {
                throw new ModelException(where + ": no <archive>/data.pkl entry, not a torch.save checkpoint"
                        + " (entries: " + preview(names) + ")");
            }
            if (pickles.size() > 1) {
                throw new ModelException(where + ": several data.pkl entries ("
                        + preview(pickles.stream().map(ZipEntry::getName).toList()) + "), cannot tell which is the checkpoint");
            }
            if (torchScript) {
                throw new ModelException(where + ": a TorchScript archive (torch.jit.save), not a torch.save"
                        + " checkpoint; save the model's state_dict() with torch.save instead");
            }
            String name = pickles.get(0).getName();
            archive = name.substring(0, name.indexOf('/'));
            return pickles.get(0);
        }

        /**
         * torch 2.1+ records the writer's byte order; a checkpoint saved on a big-endian machine has
         * big-endian storages. Without the entry (older torch) storages are little-endian.
         */
        private boolean readByteOrder() throws IOException {
            ZipEntry e = zip.getEntry(archive + "/byteorder");
            if (e == null) {
                return false;
            }
            String order = new String(readEntry(e, e.getSize(), 16, "byteorder", false).array(), StandardCharsets.US_ASCII).trim();
            return switch (order) {
                case "little" -> false;
                case "big" -> true;
                default -> throw new ModelException(where + ": unknown byteorder '" + order.replaceAll("[^ -~]", "?")
                        + "' in " + e.getName() + " (expected 'little' or 'big')");
            };
        }

        private void checkEntryName(String name) {
            boolean absolute = name.startsWith("/") || name.startsWith("\\") || name.matches("^[A-Za-z]:.*");
            boolean parent = Arrays.asList(name.split("[/\\\\]")).contains("..");
            if (absolute || parent || name.indexOf('\0') >= 0) {
                throw new ModelException(where + ": zip entry name '" + name.replace('\0', '?')
                        + "' is absolute or climbs out of the archive ('..'); refusing the file");
            }
        }

        @Override
        public TorchStorage resolve(String key, DType dtype, long numel) {
            String what = "storage '" + key + "'";
            if (key.isEmpty() || key.contains("/") || key.contains("\\") || key.equals(".") || key.equals("..")) {
                throw new ModelException(where + ": " + what + " has an invalid key");
            }
            String entryName = archive + "/data/" + key;
            ZipEntry e = zip.getEntry(entryName);
            if (e == null || e.isDirectory()) {
                throw new ModelException(where + ": " + what + " (zip entry " + entryName + ") is missing");
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(numel, dtype.byteSize());
            } catch (ArithmeticException x) {
                throw new ModelException(where + ": " + what + " claims " + numel + " elements, more than fit in 64 bits");
            }
            if (e.getSize() != bytes) {
                throw new ModelException(where + ": " + what + " (zip entry " + entryName + ") holds " + e.getSize()
                        + " bytes but the pickle declares " + numel + " x " + dtype + " = " + bytes + " bytes");
            }
            checkDeflateRatio(e, what);
            return new TorchStorage(key, dtype, numel);
        }

        /**
         * Compressed entries together may not claim much more than they store: checked before
         * inflating a byte, over all of them so that many small ones cannot add up.
         */
        private void checkDeflateRatio(ZipEntry e, String what) {
            if (e.getMethod() == ZipEntry.STORED || !deflated.add(e.getName())) {
                return;
            }
            inflatedBytes += e.getSize(); // each below 2^63 / 8 (zip64 sizes), and the sum checked at once
            storedBytes += Math.max(e.getCompressedSize(), 0);
            if (inflatedBytes < 0 || inflatedBytes - DEFLATE_SLACK_BYTES > MAX_DEFLATE_RATIO * storedBytes) {
                throw new ModelException(where + ": " + what + " (zip entry " + e.getName() + ") is compressed from "
                        + e.getSize() + " to " + e.getCompressedSize() + " bytes; the compressed storages inflate to "
                        + inflatedBytes + " bytes from " + storedBytes + ", more than " + MAX_DEFLATE_RATIO + ":1."
                        + " torch.save writes storages uncompressed and weights do not compress like that (a zip bomb?)");
            }
        }

        private Map<?, ?> selectStateDict(Object top) {
            if (!(top instanceof Map<?, ?> map)) {
                throw new ModelException(where + ": the checkpoint holds a " + TorchUnpickler.typeName(top)
                        + ", expected a state dict (a dict of tensors)");
            }
            if (map.values().stream().anyMatch(v -> v instanceof TorchTensorView) || map.isEmpty()) {
                return map;
            }
            for (String key : List.of("model", "state_dict")) {
                if (map.get(key) instanceof Map<?, ?> inner) {
                    return inner;
                }
            }
            List<String> keys = map.keySet().stream().map(k -> k instanceof String s ? "'" + s + "'"
                    : TorchUnpickler.typeName(k)).toList();
            throw new ModelException(where + ": no state dict found: the top-level dict has no tensors and no"
                    + " 'model' or 'state_dict' entry (keys: " + preview(keys) + ")");
        }

        private StateDict materialize(Map<?, ?> dict) throws IOException {
            Map<String, TorchTensorView> views = new LinkedHashMap<>();
            List<String> skipped = new ArrayList<>();
            for (Map.Entry<?, ?> entry : dict.entrySet()) {
                if (!(entry.getKey() instanceof String name)) {
                    throw new ModelException(where + ": state dict key of type "
                            + TorchUnpickler.typeName(entry.getKey()) + ", expected str");
                }
                if (entry.getValue() instanceof TorchTensorView view) {
                    views.put(name, view);
                } else {
                    skipped.add(name);
                }
            }
            Set<String> wanted = selection.select(List.copyOf(views.keySet()));
            Map<String, TorchStorage> storages = new HashMap<>();
            views.forEach((name, view) -> {
                if (wanted.contains(name)) {
                    storages.put(view.storage().key(), view.storage());
                }
            });
            for (TorchStorage s : storages.values()) {
                readBytes += s.numel() * s.dtype().byteSize(); // each matched its zip entry's size in resolve()
            }
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            Map<ViewKey, TensorData> byView = new HashMap<>();
            int shared = 0;
            for (Map.Entry<String, TorchTensorView> entry : views.entrySet()) {
                String name = entry.getKey();
                TorchTensorView view = entry.getValue();
                if (!wanted.contains(name)) {
                    continue;
                }
                ViewKey vk = new ViewKey(view.storage().key(), view.offset(), toList(view.shape()), toList(view.stride()));
                TensorData td = byView.get(vk);
                if (td != null) {
                    shared++;
                } else {
                    td = tensor(name, view);
                    byView.put(vk, td);
                }
                tensors.put(name, td);
            }
            return new StateDict(tensors, shared, skipped);
        }

        /** Checks the view against its storage, then slices (contiguous) or gathers (strided). */
        private TensorData tensor(String name, TorchTensorView v) throws IOException {
            TorchStorage s = v.storage();
            String what = "tensor '" + name + "'";
            long[] shape = v.shape();
            long[] stride = v.stride();
            int es = s.dtype().byteSize();
            long numel;
            try {
                numel = TensorData.numel(shape);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new ModelException(where + ": " + what + " has invalid size " + Arrays.toString(shape));
            }
            if (numel == 0) {
                return new TensorData(s.dtype(), shape, ByteBuffer.allocate(0));
            }
            long last = v.offset();
            boolean valid = v.offset() >= 0;
            try {
                for (int i = 0; i < shape.length && valid; i++) {
                    valid = stride[i] >= 0;
                    last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
                }
            } catch (ArithmeticException e) {
                valid = false;
            }
            String view = " view (offset " + v.offset() + ", size " + Arrays.toString(shape) + ", stride "
                    + Arrays.toString(stride) + ")";
            if (!valid || last >= s.numel()) {
                throw new ModelException(where + ": " + what + view + " runs past the end of its storage '"
                        + s.key() + "' (" + s.numel() + " elements)");
            }
            if (numel > Integer.MAX_VALUE / es) {
                throw new ModelException(where + ": " + what + " has " + numel + " elements of " + es
                        + " bytes; tensors over 2 GiB are not supported");
            }
            ByteBuffer storage = storageBytes(s);
            if (isContiguous(shape, stride)) {
                ByteBuffer slice = storage.duplicate().position((int) (v.offset() * es)).limit((int) ((v.offset() + numel) * es)).slice();
                return new TensorData(s.dtype(), shape, slice);
            }
            copiedBytes += numel * es;
            if (copiedBytes > readBytes + MAX_COPY_MARGIN_BYTES) {
                String kind = isNonOverlapping(shape, stride) ? "" : ", which repeats storage elements (broadcast"
                        + " or overlapping strides)";
                throw new ModelException(where + ": " + what + view + " must be copied" + kind + "; with it the copies"
                        + " of non-contiguous views take " + copiedBytes + " bytes, more than the " + readBytes + " bytes"
                        + " of the storages they view plus " + MAX_COPY_MARGIN_BYTES + ": refusing a file that multiplies"
                        + " its storages");
            }
            return new TensorData(s.dtype(), shape, gather(storage, es, v.offset(), shape, stride, (int) numel));
        }

        private ByteBuffer storageBytes(TorchStorage s) throws IOException {
            ByteBuffer b = storageBytes.get(s.key());
            if (b == null) {
                long bytes = s.numel() * s.dtype().byteSize(); // checked against the entry in resolve()
                // Little-endian storages go straight to native memory, where the weights will live:
                // a heap copy first would double the peak memory of loading.
                b = readEntry(zip.getEntry(archive + "/data/" + s.key()), bytes, Integer.MAX_VALUE - 8L,
                        "storage '" + s.key() + "'", !bigEndian);
                if (bigEndian) {
                    swapBytes(b.array(), s.dtype().byteSize());
                }
                storageBytes.put(s.key(), b);
            }
            return b;
        }

        /**
         * Reads exactly {@code expected} bytes, into a direct buffer if asked. The entry's declared
         * size was already checked; a stored entry must also fit in the file before its buffer is
         * allocated, and anything else (a deflated entry could claim gigabytes) grows its buffer only
         * as data really arrives.
         */
        private ByteBuffer readEntry(ZipEntry e, long expected, long max, String what, boolean direct)
                throws IOException {
            String name = e.getName();
            if (expected < 0 || expected > max) {
                throw new ModelException(where + ": " + what + " (zip entry " + name + ") claims " + expected
                        + " bytes, more than the " + max + " allowed");
            }
            boolean fits = e.getMethod() == ZipEntry.STORED && e.getCompressedSize() == expected && expected <= fileSize;
            ByteBuffer data;
            try (InputStream in = zip.getInputStream(e)) {
                if (fits && direct) {
                    data = readDirect(in, (int) expected, what, name);
                } else if (fits) {
                    byte[] bytes = new byte[(int) expected];
                    int n = in.readNBytes(bytes, 0, bytes.length);
                    if (n != expected) {
                        throw truncated(what, name, n, expected);
                    }
                    data = ByteBuffer.wrap(bytes);
                } else {
                    byte[] bytes = in.readNBytes((int) expected);
                    if (bytes.length != expected) {
                        throw truncated(what, name, bytes.length, expected);
                    }
                    data = ByteBuffer.wrap(bytes);
                }
                if (in.read() >= 0) {
                    throw new ModelException(where + ": " + what + " (zip entry " + name
                            + ") holds more than its declared " + expected + " bytes");
                }
            }
            return data;
        }

        /** Exactly {@code expected} bytes of {@code in}, in a direct little-endian buffer. */
        private ByteBuffer readDirect(InputStream in, int expected, String what, String name) throws IOException {
            ByteBuffer out = ByteBuffer.allocateDirect(expected).order(ByteOrder.LITTLE_ENDIAN);
            byte[] chunk = new byte[Math.min(expected, 1 << 20)];
            while (out.hasRemaining()) {
                int n = in.read(chunk, 0, Math.min(chunk.length, out.remaining()));
                if (n < 0) {
                    throw truncated(what, name, out.position(), expected);
                }
                out.put(chunk, 0, n);
            }
            return out.flip();
        }

        private ModelException truncated(String what, String name, long got, long expected) {
            return new ModelException(where + ": " + what + " (zip entry " + name + ") ends after " + got
                    + " of " + expected + " bytes (truncated file?)");
        }
    }

    /** Tied weights: same storage, offset, size and stride. */
    private record ViewKey(String storage, long offset, List<Long> shape, List<Long> stride) {}

    /**
     * Whether no two indices of the view reach the same element: with its dimensions of size above
     * one ordered by stride, each stride must step past everything the smaller ones span. Views that
     * slicing, transposing and permuting a contiguous tensor make pass; broadcasts (stride 0) fail.
     * Only used to say what is wrong with a view.
     */
    static boolean isNonOverlapping(long[] shape, long[] stride) {
        List<long[]> dims = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > 1) {
                dims.add(new long[] {stride[i], shape[i]});
            }
        }
        dims.sort((a, b) -> Long.compare(a[0], b[0]));
        long span = 0; // largest offset reachable with the smaller strides
        for (long[] d : dims) {
            if (d[0] <= span) {
                return false;
            }
            span += d[0] * (d[1] - 1); // no overflow: the caller bounded offset + sum of these
        }
        return true;
    }

    /** torch's rule: a dimension of size 1 may have any stride. */
    static boolean isContiguous(long[] shape, long[] stride) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1) {
                if (stride[i] != expected) {
                    return false;
                }
                expected *= shape[i];
            }
        }
        return true;
    }

    /** Copies a strided view to row-major order, element by element, innermost dimension last. */
    static ByteBuffer gather(ByteBuffer src, int es, long offset, long[] shape, long[] stride, int numel) {
        byte[] out = new byte[numel * es];
        int dims = shape.length;
        long[] index = new long[dims];
        long srcElem = offset;
        for (int i = 0; i < numel; i++) {
            src.get((int) (srcElem * es), out, i * es, es);
            for (int d = dims - 1; d >= 0; d--) { // odometer increment
                index[d]++;
                srcElem += stride[d];
                if (index[d] < shape[d]) {
                    break;
                }
                srcElem -= stride[d] * index[d];
                index[d] = 0;
            }
        }
        return ByteBuffer.wrap(out);
    }

    /** Reverses the bytes of each element in place (big- to little-endian). */
    static void swapBytes(byte[] data, int elementSize) {
        for (int i = 0; i + elementSize <= data.length; i += elementSize) {
            for (int a = i, b = i + elementSize - 1; a < b; a++, b--) {
                byte t = data[a];
                data[a] = data[b];
                data[b] = t;
            }
        }
    }

    private static List<Long> toList(long[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    private static String preview(List<String> names) {
        return names.size() <= 8 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 8)) + ", ... (" + names.size() + " in all)";
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }
}
