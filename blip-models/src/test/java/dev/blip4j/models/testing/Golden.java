package dev.blip4j.models.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One golden set (a model kind of {@code src-test-resources/golden}): the official implementation's
 * tensors, their tolerances, and the comparison every golden test uses.
 */
public final class Golden {

    /** The golden sets, one per model kind. */
    public static final List<String> KINDS =
            List.of("caption", "caption_posinterp", "itm", "vqa", "retrieval", "feature_extractor");

    private final String kind;
    private final Path dir;
    private final JsonObject expected;
    private final Map<String, TensorData> tensors;
    private final Map<String, TensorData> inputs;

    private Golden(String kind) {
        this.kind = kind;
        this.dir = root().resolve(kind);
        try {
            this.expected = JsonParser.parseString(Files.readString(dir.resolve("expected.json"))).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.tensors = SafeTensors.read(dir.resolve("expected.safetensors")).tensors();
        Path inputFile = dir.resolve("inputs.safetensors");
        this.inputs = Files.isRegularFile(inputFile) ? SafeTensors.read(inputFile).tensors() : Map.of();
    }

    public static Golden of(String kind) {
        return new Golden(kind);
    }

    /** {@code src-test-resources/golden}, the repository's copy of the shared goldens. */
    public static Path root() {
        String base = System.getProperty("blip.testResources");
        if (base == null) {
            throw new IllegalStateException("system property blip.testResources is not set (run the tests with Maven)");
        }
        return Path.of(base).resolve("golden");
    }

    public static Path image(int index) {
        return root().resolve("images/image" + index + ".png");
    }

    public Path dir() {
        return dir;
    }

    public Path original() {
        return dir.resolve("original/model.pth");
    }

    public Path hf() {
        return dir.resolve("hf");
    }

    public JsonObject results() {
        return expected.getAsJsonObject("results");
    }

    public JsonObject json() {
        return expected;
    }

    public TensorData tensor(String name) {
        TensorData t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(kind + ": no golden tensor " + name);
        }
        return t;
    }

    public TensorData input(String name) {
        TensorData t = inputs.get(name);
        if (t == null) {
            throw new IllegalArgumentException(kind + ": no golden input " + name);
        }
        return t;
    }

    public boolean hasTensor(String name) {
        return tensors.containsKey(name);
    }

    /**
     * Asserts {@code |got - expected| <= atol + rtol * |expected|} elementwise with the tolerance the
     * golden gives for that tensor, infinities matched exactly; prints the measured max error.
     *
     * @return the max absolute error
     */
    public double assertClose(String name, float[] got, long... shape) {
        TensorData want = tensor(name);
        if (shape.length > 0) {
            assertArrayEquals(want.shape(), shape, kind + "/" + name + " shape");
        }
        float[] exp = want.toFloatArray();
        assertEquals(exp.length, got.length, kind + "/" + name + " element count");
        JsonObject tol = expected.getAsJsonObject("tensors").getAsJsonObject(name).getAsJsonObject("tolerance");
        double atol = tol.get("atol").getAsDouble();
        double rtol = tol.get("rtol").getAsDouble();
        double maxErr = 0;
        int worst = -1;
        for (int i = 0; i < exp.length; i++) {
            if (Float.isInfinite(exp[i]) || Float.isInfinite(got[i])) {
                if (exp[i] != got[i]) {
                    fail(kind + "/" + name + "[" + i + "]: expected " + exp[i] + ", got " + got[i]);
                }
                continue;
            }
            double err = Math.abs((double) got[i] - exp[i]);
            if (err > atol + rtol * Math.abs(exp[i])) {
                fail(String.format("%s/%s[%d]: expected %.8g, got %.8g (|err| %.3g > atol %.1g + rtol %.1g)",
                        kind, name, i, exp[i], got[i], err, atol, rtol));
            }
            if (err > maxErr) {
                maxErr = err;
                worst = i;
            }
        }
        System.out.printf("golden %s/%s: max abs error %.3g (at %d of %d)%n", kind, name, maxErr, worst, exp.length);
        return maxErr;
    }

    /** Asserts exact equality of an integer golden tensor. */
    public void assertIds(String name, long[] got) {
        long[] exp = tensor(name).toLongArray();
        assertArrayEquals(exp, got, kind + "/" + name + ": got " + Arrays.toString(got));
    }

    public static long[] longs(JsonArray array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsLong();
        }
        return out;
    }
}
