package dev.blip4j.models.gradcam;

import dev.blip4j.core.InputException;
import java.util.Arrays;
import java.util.List;

/**
 * Where in the image each token of a text looked, as Grad-CAM maps over the ViT's patch grid: at
 * one layer of the text stack, the cross-attention probabilities times their gradient clamped at
 * zero, averaged over heads, the image {@code [CLS]} column dropped (LAVIS's
 * {@code compute_gradcam}). What the gradient is of depends on the task: the ITM match logit
 * ({@link dev.blip4j.models.matching.ItmGradCam}), or each generated word's log-probability
 * ({@link dev.blip4j.models.caption.Captioner#gradCam}). Immutable: maps are copied in and out.
 */
public final class GradCam {

    private final int layer;
    private final int grid;
    private final List<String> tokens;
    private final float[][] tokenMaps;
    private final int[] words;
    private final float[] wordsMap;

    /**
     * @param layer the text layer whose cross-attention was read
     * @param grid patches per side
     * @param tokens the text's tokens as the vocabulary spells them
     * @param tokenMaps one map per token, {@code grid * grid} values row-major
     * @param words which tokens are the text's own words (not {@code [ENC]}, {@code [SEP]}...):
     *     {@link #wordsMap()} is the average of their maps
     */
    public GradCam(int layer, int grid, List<String> tokens, float[][] tokenMaps, int[] words) {
        if (tokens.size() != tokenMaps.length) {
            throw new InputException(tokens.size() + " tokens but " + tokenMaps.length + " maps");
        }
        for (float[] map : tokenMaps) {
            if (map.length != grid * grid) {
                throw new InputException("a map of " + map.length + " values on a " + grid + "x" + grid + " grid");
            }
        }
        this.layer = layer;
        this.grid = grid;
        this.tokens = List.copyOf(tokens);
        this.tokenMaps = Arrays.stream(tokenMaps).map(float[]::clone).toArray(float[][]::new);
        this.words = words.clone();
        this.wordsMap = new float[grid * grid];
        for (int w : words) {
            for (int i = 0; i < wordsMap.length; i++) {
                wordsMap[i] += tokenMaps[w][i];
            }
        }
        for (int i = 0; i < wordsMap.length && words.length > 0; i++) {
            wordsMap[i] /= words.length;
        }
    }

    /** From the maps of every token side by side, [tokens x patches] row-major, over a square grid of patches. */
    public static GradCam of(int layer, int patches, List<String> tokens, float[] maps, int[] words) {
        int grid = (int) Math.round(Math.sqrt(patches));
        if (grid * grid != patches || (long) patches * tokens.size() != maps.length) {
            throw new InputException(maps.length + " values are not " + tokens.size() + " maps over a square grid of "
                    + patches + " patches");
        }
        float[][] rows = new float[tokens.size()][];
        for (int t = 0; t < rows.length; t++) {
            rows[t] = Arrays.copyOfRange(maps, t * patches, (t + 1) * patches);
        }
        return new GradCam(layer, grid, tokens, rows, words);
    }

    public int layer() {
        return layer;
    }

    public int grid() {
        return grid;
    }

    public List<String> tokens() {
        return tokens;
    }

    /** Token {@code t}'s map, {@code grid * grid} values row-major. */
    public float[] tokenMap(int t) {
        return tokenMaps[t].clone();
    }

    /** Indices of the tokens averaged into {@link #wordsMap()}. */
    public int[] words() {
        return words.clone();
    }

    /** The average of the words' maps (LAVIS's "average over words" row); zeros for a text without words. */
    public float[] wordsMap() {
        return wordsMap.clone();
    }
}
