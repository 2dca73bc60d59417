package dev.blip4j.models.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.features.ModelIdentity;
import dev.blip4j.models.matching.ScoreMatrix;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GalleryIndex#nearest}: the float16 first pass and the float32 one both give the exact top
 * {@code n} (summed in double), on queries built to tie: the normalised sum of two stored vectors
 * scores both the same up to rounding, which the float16 scan cannot order.
 */
class GalleryNearestTest {

    private static final ModelIdentity MODEL = new ModelIdentity("0".repeat(64), "/nowhere/model.pth", "original",
            List.of("itm"), 64, 16, 48, 17);
    private static final int IMAGES = SyntheticGallery.ROWS_PER_SHARD + 2_000;

    @TempDir
    static Path dir;
    private static GalleryIndex gallery;
    private static float[][] vectors;

    @BeforeAll
    static void write() throws Exception {
        SyntheticGallery.write(dir.resolve("g"), MODEL, IMAGES, 11);
        gallery = GalleryIndex.open(dir.resolve("g"));
        vectors = new float[IMAGES][];
        for (int i = 0; i < IMAGES; i++) {
            vectors[i] = gallery.embedding(i);
        }
    }

    /** The ranking by scores summed in double, rounded to float, ties in index order. */
    private static int[] exactTop(float[] q, int n, float[] scores) {
        float[] all = exactScores(gallery, q);
        int[] top = ScoreMatrix.topK(all, n);
        for (int r = 0; r < n; r++) {
            scores[r] = all[top[r]];
        }
        return top;
    }

    /** The float16 pass's arithmetic: inputs rounded to float16, float32 sums, the result rounded to float16. */
    private static float[] halfScores(float[] q) {
        float[] out = new float[IMAGES];
        for (int i = 0; i < IMAGES; i++) {
            float sum = 0;
            for (int d = 0; d < q.length; d++) {
                sum += half(q[d]) * half(vectors[i][d]);
            }
            out[i] = half(sum);
        }
        return out;
    }

    private static float half(float v) {
        return TensorData.halfToFloat(TensorData.floatToHalf(v));
    }

    private static float[] tie(int a, int b) {
        float[] q = new float[16];
        double norm = 0;
        for (int d = 0; d < 16; d++) {
            norm += Math.pow((double) vectors[a][d] + vectors[b][d], 2);
        }
        for (int d = 0; d < 16; d++) {
            q[d] = (float) ((vectors[a][d] + vectors[b][d]) / Math.sqrt(norm));
        }
        return q;
    }

    @Test
    void bothPassesGiveTheExactTopN() {
        int halfPassMisordered = 0;
        for (int t = 0; t < 40; t++) {
            int a = (t * 7919) % IMAGES;
            int b = (t * 104729 + 17) % IMAGES;
            float[] q = t % 4 == 3 ? vectors[a] : tie(a, b);
            for (int n : new int[] {1, 10, 100}) {
                float[] want = new float[n];
                int[] top = exactTop(q, n, want);
                for (boolean half : new boolean[] {true, false}) {
                    GalleryIndex.Nearest got = gallery.nearest(q, n, half);
                    assertArrayEquals(top, got.images(), "query " + t + ", n " + n + ", float16 pass " + half);
                    assertArrayEquals(want, got.scores(), "query " + t + ", n " + n + ", float16 pass " + half);
                }
                int[] approx = ScoreMatrix.topK(halfScores(q), n);
                if (!java.util.Arrays.equals(approx, top)) {
                    halfPassMisordered++;
                }
            }
        }
        // the float16 scores alone order some of these differently: the exact re-scoring is what is tested
        assertTrue(halfPassMisordered > 0, "no query needed the re-scoring");
        assertEquals(5, gallery.nearest(vectors[5], 3).images()[0]);
    }

    @Test
    void theFloat16PassIsTheDefaultHere() {
        // libtorch 2.7 sums float16 products in float32 (its self-check passes) and the vectors are unit
        assertTrue(gallery.usesFloat16Pass(vectors[0]));
        float[] unnormalised = vectors[0].clone();
        for (int d = 0; d < 16; d++) {
            unnormalised[d] *= 3;
        }
        assertTrue(!gallery.usesFloat16Pass(unnormalised), "the bound is stated for norms up to 2");
        assertEquals(IMAGES, gallery.nearest(vectors[0], IMAGES + 5).images().length);
        assertEquals(0, gallery.nearest(vectors[0], 0).images().length);
    }

    @Test
    void anIndexWithoutTheFloat16CopySearchesTheSame(@TempDir Path other) throws Exception {
        Path g = other.resolve("g");
        editShard(g, 3_000, tensors -> tensors.remove(GalleryIndex.FEATURES_HALF));
        GalleryIndex old = GalleryIndex.open(g);
        float[] q = old.embedding(42);
        assertTrue(!old.usesFloat16Pass(q));
        GalleryIndex.Nearest got = old.nearest(q, 5);
        assertEquals(42, got.images()[0]);
        assertEquals(1.0f, got.scores()[0], 1e-6f);
    }

    @Test
    void aFloat16CopyThatDisagreesIsRefused(@TempDir Path other) throws Exception {
        Path g = other.resolve("g");
        // row 7 of the copy now holds a 1.0
        Path shard = editShard(g, 100, tensors -> tensors.get(GalleryIndex.FEATURES_HALF).data()
                .putShort(2 * (7 * 16 + 3), (short) 0x3c00));
        InputException e = assertThrows(InputException.class, () -> GalleryIndex.open(g));
        assertTrue(e.getMessage().contains(shard.toString()) && e.getMessage().contains("row 7")
                && e.getMessage().contains("image_feat_f16"), e.getMessage());
    }

    @Test
    void rowsNoEntryNamesTakeNoPlace(@TempDir Path other) throws Exception {
        Path g = other.resolve("g");
        SyntheticGallery.write(g, MODEL, 500, 11);
        GalleryIndex full = GalleryIndex.open(g);
        float[] gone = full.embedding(7);
        IndexManifest manifest = IndexManifest.read(g);
        manifest.images.remove(full.images().get(7).path());
        manifest.write(g);
        GalleryIndex index = GalleryIndex.open(g);
        assertEquals(499, index.size());
        // the dropped image's row stays in the shard and scores 1 against its own vector
        float[] all = exactScores(index, gone);
        for (boolean half : new boolean[] {true, false}) {
            for (int n : new int[] {1, 5}) {
                assertArrayEquals(ScoreMatrix.topK(all, n), index.nearest(gone, n, half).images(),
                        "top " + n + ", float16 pass " + half);
            }
        }
    }

    /** Every image's score with {@code q}, summed in double from its stored vector and rounded to float. */
    static float[] exactScores(GalleryIndex index, float[] q) {
        float[] all = new float[index.size()];
        for (int i = 0; i < all.length; i++) {
            double dot = 0;
            float[] v = index.embedding(i);
            for (int d = 0; d < v.length; d++) {
                dot += (double) q[d] * v[d];
            }
            all[i] = (float) dot;
        }
        return all;
    }

    /** Writes a one-shard gallery of {@code images} at {@code g}, then its shard changed by {@code edit}. */
    private static Path editShard(Path g, int images, Consumer<Map<String, TensorData>> edit) throws Exception {
        SyntheticGallery.write(g, MODEL, images, 11);
        Path shard = g.resolve(GalleryIndex.open(g).images().get(0).shard());
        Map<String, TensorData> tensors = new LinkedHashMap<>(SafeTensors.read(shard).tensors());
        edit.accept(tensors);
        SafeTensors.write(shard, tensors, Map.of());
        return shard;
    }
}
