package dev.blip4j.models.testing;

import com.google.gson.JsonArray;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.image.RgbImage;
import java.util.ArrayList;
import java.util.List;

/** Loading a golden kind's model in either layout, and the golden texts. */
public final class GoldenModels {

    private GoldenModels() {}

    /** The original layout needs the tiny vocabulary passed explicitly; HF directories carry theirs. */
    public static BlipModel load(Golden g, Layout layout) {
        return layout == Layout.ORIGINAL
                ? BlipModel.builder(g.original()).tokenizer(Golden.root().resolve("tokenizer/vocab.txt")).load()
                : BlipModel.load(g.hf());
    }

    /** The three golden images, decoded as the model decodes files, in golden order. */
    public static List<RgbImage> images(BlipModel model) {
        return List.of(model.readImage(Golden.image(0)), model.readImage(Golden.image(1)),
                model.readImage(Golden.image(2)));
    }

    /** The four golden captions, in golden order. */
    public static List<String> captions(Golden g) {
        JsonArray a = g.json().getAsJsonObject("texts").getAsJsonArray("captions");
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    /**
     * Asserts {@code got} against {@code want} (a computed view of golden tensor {@code toleranceOf},
     * e.g. its class-1 slice) with that tensor's tolerance; prints and returns the max abs error.
     */
    public static double assertCloseAs(Golden g, String toleranceOf, String label, float[] want, float[] got) {
        com.google.gson.JsonObject tol = g.json().getAsJsonObject("tensors").getAsJsonObject(toleranceOf)
                .getAsJsonObject("tolerance");
        double atol = tol.get("atol").getAsDouble();
        double rtol = tol.get("rtol").getAsDouble();
        org.junit.jupiter.api.Assertions.assertEquals(want.length, got.length, label + " element count");
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            if (!(err <= atol + rtol * Math.abs(want[i]))) {
                org.junit.jupiter.api.Assertions.fail(String.format("%s[%d]: expected %.8g, got %.8g (|err| %.3g)",
                        label, i, want[i], got[i], err));
            }
            max = Math.max(max, err);
        }
        System.out.printf("golden %s: max abs error %.3g (tolerance of %s)%n", label, max, toleranceOf);
        return max;
    }

    /** Column {@code index} of a golden [.., last] tensor's trailing dimension, e.g. logit 1 of [3, 4, 2]. */
    public static float[] lastIndex(float[] values, int width, int index) {
        float[] out = new float[values.length / width];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i * width + index];
        }
        return out;
    }
}
