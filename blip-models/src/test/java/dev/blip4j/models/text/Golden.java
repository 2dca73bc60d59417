package dev.blip4j.models.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Access to the committed golden data ({@code src-test-resources/golden}, found through the
 * {@code blip.testResources} system property that surefire sets) and a minimal reader for the
 * I64 tensors of its safetensors files. Test-only: the production safetensors reader lives
 * elsewhere.
 */
final class Golden {

    static final List<String> KINDS =
            List.of("caption", "caption_posinterp", "itm", "vqa", "retrieval", "feature_extractor");

    private Golden() {}

    static Path root() {
        String dir = System.getProperty("blip.testResources");
        if (dir == null) {
            throw new IllegalStateException("system property blip.testResources is not set (run the tests with Maven)");
        }
        return Path.of(dir, "golden");
    }

    static Path tokenizerDir() {
        return root().resolve("tokenizer");
    }

    static JsonObject json(Path path) {
        try {
            return JsonParser.parseString(Files.readString(path, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonObject expected(String kind) {
        return json(root().resolve(kind).resolve("expected.json"));
    }

    static long[] longs(JsonElement array) {
        return array.getAsJsonArray().asList().stream().mapToLong(JsonElement::getAsLong).toArray();
    }

    /** An I64 tensor of a safetensors file: its shape and row-major values. */
    record LongTensor(long[] shape, long[] data) {
        long[][] rows() {
            if (shape.length != 2) {
                throw new IllegalStateException("not a matrix: " + java.util.Arrays.toString(shape));
            }
            int r = (int) shape[0];
            int c = (int) shape[1];
            long[][] out = new long[r][c];
            for (int i = 0; i < r; i++) {
                System.arraycopy(data, i * c, out[i], 0, c);
            }
            return out;
        }
    }

    /** Every I64 tensor of a safetensors file (8-byte LE header length, JSON header, data). */
    static Map<String, LongTensor> longTensors(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong(0);
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        int dataStart = 8 + (int) headerLength;
        Map<String, LongTensor> tensors = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : JsonParser.parseString(header).getAsJsonObject().entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonObject info = e.getValue().getAsJsonObject();
            if (!info.get("dtype").getAsString().equals("I64")) {
                continue;
            }
            long[] shape = longs(info.get("shape"));
            long[] offsets = longs(info.get("data_offsets"));
            int n = (int) ((offsets[1] - offsets[0]) / 8);
            long[] data = new long[n];
            for (int i = 0; i < n; i++) {
                data[i] = buf.getLong(dataStart + (int) offsets[0] + 8 * i);
            }
            tensors.put(e.getKey(), new LongTensor(shape, data));
        }
        return tensors;
    }
}
