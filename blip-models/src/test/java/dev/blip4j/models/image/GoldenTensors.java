package dev.blip4j.models.image;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Minimal safetensors reader for the golden inputs (the production reader lives elsewhere; these
 * tests must not depend on it): 8-byte little-endian header length, JSON header, data section.
 */
final class GoldenTensors {

    private final JsonObject header;
    private final ByteBuffer data;

    private GoldenTensors(JsonObject header, ByteBuffer data) {
        this.header = header;
        this.data = data;
    }

    /** The shared test-data folder set by surefire ({@code blip.testResources}). */
    static Path resources() {
        String dir = System.getProperty("blip.testResources");
        if (dir == null) {
            throw new IllegalStateException("system property blip.testResources is not set (run through Maven)");
        }
        return Paths.get(dir);
    }

    static GoldenTensors read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(bb.getLong(0));
        JsonObject header = JsonParser.parseString(new String(all, 8, n, StandardCharsets.UTF_8)).getAsJsonObject();
        ByteBuffer body = ByteBuffer.wrap(all, 8 + n, all.length - 8 - n).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new GoldenTensors(header, body);
    }

    int[] shape(String name) {
        var a = entry(name).getAsJsonArray("shape");
        int[] s = new int[a.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = a.get(i).getAsInt();
        }
        return s;
    }

    byte[] u8(String name) {
        expect(name, "U8");
        return bytes(name);
    }

    float[] f32(String name) {
        expect(name, "F32");
        byte[] b = bytes(name);
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    private byte[] bytes(String name) {
        var offsets = entry(name).getAsJsonArray("data_offsets");
        int begin = offsets.get(0).getAsInt();
        int end = offsets.get(1).getAsInt();
        byte[] out = new byte[end - begin];
        data.get(begin, out);
        return out;
    }

    private void expect(String name, String dtype) {
        String actual = entry(name).get("dtype").getAsString();
        if (!actual.equals(dtype)) {
            throw new IllegalStateException(name + " is " + actual + ", not " + dtype);
        }
    }

    private JsonObject entry(String name) {
        JsonObject e = header.getAsJsonObject(name);
        if (e == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return e;
    }
}
