package dev.blip4j.models.checkpoint;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import dev.blip4j.core.ModelException;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes HuggingFace {@code .safetensors} files: an 8-byte little-endian header length,
 * a JSON header ({@code dtype}, {@code shape}, {@code data_offsets} per tensor) and the raw data.
 *
 * <p>A downloaded checkpoint is untrusted, so the whole header is validated before a single tensor
 * buffer is allocated: every size and offset is checked against the real file size, so a hostile
 * header can neither make us allocate more than the file holds nor hand back overlapping or
 * truncated tensors. Every failure is a {@link ModelException} naming the file, the tensor and the
 * problem. Gaps between tensors are allowed (some writers align data); overlaps are not.
 */
public final class SafeTensors {

    /** Same cap as the reference implementation: a larger header is an attack, not a model. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    private static final Pattern JSON_POSITION = Pattern.compile("line \\d+ column \\d+");

    private SafeTensors() {}

    /**
     * Reads all tensors (the file is closed on return). Tensor data goes into direct buffers: that
     * is the memory the weights end up in, so loading needs no second copy of them.
     */
    public static SafeTensorsFile read(Path file) {
        return read(file, TensorSelection.ALL, false);
    }

    /**
     * Reads the tensors {@code selection} picks from the names of all of them; it is called once,
     * after the header is validated and before any tensor is read, and may refuse the file.
     */
    public static SafeTensorsFile read(Path file, TensorSelection selection) {
        return read(file, selection, false);
    }

    /**
     * Maps the file read-only and returns tensors whose data are views of the mapping: nothing is
     * copied and nothing lands on the Java heap; pages are read when first touched and can be
     * dropped by the OS under memory pressure (gallery embeddings, searched in place). Validated
     * as {@link #read}. The mapping stays valid after the call, until its buffers are collected.
     */
    public static SafeTensorsFile map(Path file) {
        return read(file, TensorSelection.ALL, true);
    }

    private static SafeTensorsFile read(Path file, TensorSelection selection, boolean mapped) {
        String where = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw fail(where, "file is " + fileSize + " bytes, too short for the 8-byte header length"
                        + " (not a safetensors file, or truncated)");
            }
            long headerLen = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
                throw fail(where, "header length " + Long.toUnsignedString(headerLen)
                        + " exceeds the " + MAX_HEADER_BYTES + "-byte limit (not a safetensors file?)");
            }
            if (headerLen > fileSize - 8) {
                throw fail(where, "header length " + headerLen + " runs past the end of the file ("
                        + fileSize + " bytes; truncated?)");
            }
            String json = decodeUtf8(where, readFully(ch, 8, (int) headerLen));
            Header header = parseHeader(where, json);
            long dataStart = 8 + headerLen;
            long dataSize = fileSize - dataStart;
            validate(where, header.entries, dataSize);

            Set<String> wanted = selection.select(header.entries.stream().map(Entry::name).toList());
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            if (mapped && dataSize > Integer.MAX_VALUE) {
                throw fail(where, "data section of " + dataSize + " bytes is too large to map (2 GiB at most)");
            }
            ByteBuffer mapping = mapped ? ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataSize) : null;
            for (Entry e : header.entries) {
                if (!wanted.contains(e.name)) {
                    continue;
                }
                ByteBuffer data = mapped
                        ? mapping.slice((int) e.begin, (int) (e.end - e.begin))
                        : readFully(ch, dataStart + e.begin, (int) (e.end - e.begin), true);
                tensors.put(e.name, new TensorData(e.dtype, e.shape, data));
            }
            return new SafeTensorsFile(tensors, header.metadata);
        } catch (IOException e) {
            throw new ModelException(where + ": cannot read safetensors file: " + e, e);
        }
    }

    /**
     * Writes a standard file: tensors sorted by name, contiguous data, header padded with spaces to a
     * multiple of 8 bytes (as the reference writer does, so the data section stays aligned). Tensors
     * that are the same instance are written twice: the format has no notion of shared storage. The
     * file is written next to its final name and moved into place, so a crash leaves no half file.
     *
     * @param metadata {@code __metadata__} strings; {@code null} or empty writes none
     */
    public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
            throws IOException {
        TreeMap<String, TensorData> sorted = new TreeMap<>(tensors);
        if (sorted.containsKey(METADATA_KEY)) {
            throw new IllegalArgumentException("'" + METADATA_KEY + "' cannot be a tensor name");
        }
        StringWriter sw = new StringWriter();
        try (JsonWriter w = new JsonWriter(sw)) {
            w.setHtmlSafe(false);
            w.beginObject();
            if (metadata != null && !metadata.isEmpty()) {
                w.name(METADATA_KEY).beginObject();
                for (Map.Entry<String, String> m : new TreeMap<>(metadata).entrySet()) {
                    w.name(m.getKey()).value(m.getValue());
                }
                w.endObject();
            }
            long offset = 0;
            for (Map.Entry<String, TensorData> t : sorted.entrySet()) {
                TensorData td = t.getValue();
                long size = td.data().remaining();
                w.name(t.getKey()).beginObject();
                w.name("dtype").value(td.dtype().safetensorsName());
                w.name("shape").beginArray();
                for (long d : td.shape()) {
                    w.value(d);
                }
                w.endArray();
                w.name("data_offsets").beginArray().value(offset).value(offset + size).endArray();
                w.endObject();
                offset += size;
            }
            w.endObject();
        }
        byte[] json = sw.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFileWriter.write(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, head);
                for (TensorData td : sorted.values()) {
                    writeFully(ch, td.data());
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private record Header(List<Entry> entries, Map<String, String> metadata) {}

    private static Header parseHeader(String where, String json) {
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        try {
            JsonReader r = new JsonReader(new StringReader(json));
            r.setStrictness(Strictness.STRICT);
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw fail(where, "header is not a JSON object (found " + r.peek() + ")");
            }
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                if (!seen.add(name)) {
                    throw fail(where, "header lists '" + name + "' twice");
                }
                if (name.equals(METADATA_KEY)) {
                    readMetadata(where, r, metadata);
                } else {
                    entries.add(readEntry(where, r, name));
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw fail(where, "header has data after its JSON object");
            }
        } catch (IOException | IllegalStateException e) {
            // MalformedJsonException is an IOException; a wrong token type is an IllegalStateException.
            // Gson's text advises relaxing the parser, which is wrong here: keep only the position.
            Matcher at = JSON_POSITION.matcher(String.valueOf(e.getMessage()));
            throw new ModelException(where + ": header is not valid JSON" + (at.find() ? " (at " + at.group() + ")" : ""), e);
        }
        return new Header(entries, metadata);
    }

    private static void readMetadata(String where, JsonReader r, Map<String, String> out) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw fail(where, "'" + METADATA_KEY + "' is not an object of strings");
        }
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            if (r.peek() != JsonToken.STRING) {
                throw fail(where, "'" + METADATA_KEY + "' value of '" + key + "' is not a string (" + r.peek() + ")");
            }
            out.put(key, r.nextString());
        }
        r.endObject();
    }

    private static Entry readEntry(String where, JsonReader r, String name) throws IOException {
        String tensor = "tensor '" + name + "'";
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw fail(where, tensor + " is not described by a JSON object (found " + r.peek() + ")");
        }
        String dtypeName = null;
        long[] shape = null;
        long[] offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            switch (field) {
                case "dtype" -> {
                    if (r.peek() != JsonToken.STRING) {
                        throw fail(where, tensor + " dtype is not a string");
                    }
                    dtypeName = r.nextString();
                }
                case "shape" -> shape = readLongs(where, r, tensor + " shape");
                case "data_offsets" -> offsets = readLongs(where, r, tensor + " data_offsets");
                default -> r.skipValue(); // the reference reader ignores unknown fields too
            }
        }
        r.endObject();
        if (dtypeName == null || shape == null || offsets == null) {
            throw fail(where, tensor + " lacks " + (dtypeName == null ? "'dtype'" : shape == null ? "'shape'"
                    : "'data_offsets'"));
        }
        DType dtype = DType.fromSafetensors(dtypeName);
        if (dtype == null) {
            throw fail(where, tensor + " has unknown dtype '" + dtypeName + "' (supported: "
                    + Arrays.stream(DType.values()).map(DType::safetensorsName).toList() + ")");
        }
        for (long d : shape) {
            if (d < 0) {
                throw fail(where, tensor + " has a negative dimension in shape " + Arrays.toString(shape));
            }
        }
        if (offsets.length != 2 || offsets[0] < 0 || offsets[0] > offsets[1]) {
            throw fail(where, tensor + " data_offsets " + Arrays.toString(offsets)
                    + " are not [begin, end] with 0 <= begin <= end");
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] readLongs(String where, JsonReader r, String what) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) {
            throw fail(where, what + " is not an array of integers");
        }
        List<Long> values = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != JsonToken.NUMBER) {
                throw fail(where, what + " is not an array of integers (found " + r.peek() + ")");
            }
            String text = r.nextString();
            try {
                values.add(Long.parseLong(text));
            } catch (NumberFormatException e) {
                throw fail(where, what + " holds " + text + ", not a 64-bit integer");
            }
        }
        r.endArray();
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /** Sizes, bounds and overlaps, all before any allocation. */
    private static void validate(String where, List<Entry> entries, long dataSize) {
        for (Entry e : entries) {
            String tensor = "tensor '" + e.name + "'";
            long bytes;
            try {
                bytes = Math.multiplyExact(TensorData.numel(e.shape), e.dtype.byteSize());
            } catch (ArithmeticException x) {
                throw fail(where, tensor + " shape " + Arrays.toString(e.shape) + " has more elements than fit in 64 bits");
            }
            if (e.end > dataSize) {
                throw fail(where, tensor + " data_offsets [" + e.begin + ", " + e.end
                        + "] run past the end of the data section (" + dataSize + " bytes; truncated file?)");
            }
            if (e.end - e.begin != bytes) {
                throw fail(where, tensor + " data_offsets [" + e.begin + ", " + e.end + "] hold " + (e.end - e.begin)
                        + " bytes but " + e.dtype.safetensorsName() + " " + Arrays.toString(e.shape)
                        + " needs " + bytes);
            }
            if (bytes > Integer.MAX_VALUE) {
                throw fail(where, tensor + " is " + bytes + " bytes; tensors over 2 GiB are not supported");
            }
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry reach = null; // the non-empty range seen so far that ends last
        for (Entry e : byOffset) {
            if (e.begin == e.end) {
                continue; // an empty tensor occupies nothing
            }
            if (reach != null && e.begin < reach.end) {
                throw fail(where, "tensor '" + e.name + "' data_offsets [" + e.begin + ", " + e.end
                        + "] overlap tensor '" + reach.name + "' data_offsets [" + reach.begin + ", " + reach.end + "]");
            }
            if (reach == null || e.end > reach.end) {
                reach = e;
            }
        }
    }

    private static String decodeUtf8(String where, ByteBuffer bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw fail(where, "header is not valid UTF-8 (not a safetensors file?)");
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int size) throws IOException {
        return readFully(ch, position, size, false);
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int size, boolean direct) throws IOException {
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                throw new EOFException("file ended " + buf.remaining() + " bytes early at offset " + (position + buf.position()));
            }
        }
        return buf.flip();
    }

    static void writeFully(FileChannel ch, ByteBuffer data) throws IOException {
        ByteBuffer b = data.duplicate();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static ModelException fail(String where, String problem) {
        return new ModelException(where + ": " + problem);
    }
}
