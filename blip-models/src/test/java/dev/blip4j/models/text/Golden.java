package dev.blip4j.models.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.models.checkpoint.DType;
import dev.blip4j.models.checkpoint.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The golden data as the tokenizer tests read it: JSON files and the I64 tensors (token ids, masks). */
final class Golden {

    static final List<String> KINDS = dev.blip4j.models.testing.Golden.KINDS;

    private Golden() {}

    static Path root() {
        return dev.blip4j.models.testing.Golden.root();
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

    /** Every I64 tensor of a safetensors file. */
    static Map<String, LongTensor> longTensors(Path file) {
        Map<String, LongTensor> tensors = new TreeMap<>();
        SafeTensors.read(file).tensors().forEach((name, t) -> {
            if (t.dtype() == DType.I64) {
                tensors.put(name, new LongTensor(t.shape(), t.toLongArray()));
            }
        });
        return tensors;
    }
}
