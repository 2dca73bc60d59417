package dev.blip4j.core.vision;

import dev.blip4j.core.ModelException;

/**
 * Resizes a ViT position table to another image size the way the official {@code
 * interpolate_pos_embed} does at load time: the {@code [CLS]} row is kept and the square grid of
 * patch positions is resized with PyTorch's bicubic interpolation ({@code align_corners=False}, Keys
 * kernel with A = -0.75, source coordinate {@code (dst + 0.5) * in / out - 0.5}, neighbours clamped to
 * the border). Plain float arithmetic mirrors the CPU kernel's precision.
 */
public final class PositionEmbeddings {

    private static final float A = -0.75f;

    private PositionEmbeddings() {}

    /**
     * @param table row-major [1 + g*g, width] position table with the {@code [CLS]} row first
     * @param width embedding width
     * @param newGrid patches per side after resizing
     * @return row-major [1 + newGrid*newGrid, width]
     */
    public static float[] resize(float[] table, int width, int newGrid) {
        int rows = table.length / width;
        int grid = (int) Math.round(Math.sqrt(rows - 1));
        if (grid * grid + 1 != rows || rows * width != table.length) {
            throw new ModelException("position table of " + rows + " rows is not [CLS] plus a square grid of patches");
        }
        if (grid == newGrid) {
            return table.clone();
        }
        long cells = (1L + (long) newGrid * newGrid) * width;
        if (newGrid <= 0 || cells > Integer.MAX_VALUE - 8) {
            throw new ModelException("a position table of " + newGrid + "x" + newGrid + " patches of width " + width
                    + " does not fit in one array");
        }
        float[] out = new float[(int) cells];
        System.arraycopy(table, 0, out, 0, width);
        int[][] idx = new int[newGrid][4];
        float[][] w = new float[newGrid][4];
        float scale = (float) grid / newGrid;
        for (int o = 0; o < newGrid; o++) {
            float real = scale * (o + 0.5f) - 0.5f;
            int floor = (int) Math.floor(real);
            float t = real - floor;
            w[o] = cubicWeights(t);
            for (int j = 0; j < 4; j++) {
                idx[o][j] = Math.min(Math.max(floor - 1 + j, 0), grid - 1);
            }
        }
        for (int oy = 0; oy < newGrid; oy++) {
            for (int ox = 0; ox < newGrid; ox++) {
                int dst = (1 + oy * newGrid + ox) * width;
                for (int c = 0; c < width; c++) {
                    float sum = 0f;
                    for (int i = 0; i < 4; i++) {
                        int rowBase = 1 + idx[oy][i] * grid;
                        float inner = 0f;
                        for (int j = 0; j < 4; j++) {
                            inner += w[ox][j] * table[(rowBase + idx[ox][j]) * width + c];
                        }
                        sum += w[oy][i] * inner;
                    }
                    out[dst + c] = sum;
                }
            }
        }
        return out;
    }

    /** Keys cubic convolution weights for the four neighbours at offsets -1, 0, 1, 2 of fraction t. */
    static float[] cubicWeights(float t) {
        float x1 = t;
        float x2 = 1f - t;
        return new float[] {nearFar(x1 + 1f), near(x1), near(x2), nearFar(x2 + 1f)};
    }

    /** Kernel for |x| <= 1. */
    private static float near(float x) {
        return ((A + 2f) * x - (A + 3f)) * x * x + 1f;
    }

    /** Kernel for 1 < |x| < 2. */
    private static float nearFar(float x) {
        return ((A * x - 5f * A) * x + 8f * A) * x - 4f * A;
    }
}
