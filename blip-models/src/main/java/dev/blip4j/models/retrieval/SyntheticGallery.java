package dev.blip4j.models.retrieval;

import dev.blip4j.core.InputException;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.features.ModelIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A gallery index of seeded random unit embeddings, written in the real format (manifest and
 * embeddings shards) but with no image behind any entry: for measuring search speed and memory at
 * sizes no test folder reaches ({@code blip bench --tasks search --gallery N}). Its entries cannot
 * be re-ranked (there are no image files).
 */
public final class SyntheticGallery {

    /** Rows per embeddings shard: 50,000 x 256 floats is a 51 MB file. */
    public static final int ROWS_PER_SHARD = 50_000;

    private SyntheticGallery() {}

    /**
     * Writes {@code images} random unit vectors of the model's ITC width as an index at {@code dir},
     * which must not hold one yet.
     */
    public static void write(Path dir, ModelIdentity model, int images, long seed) throws IOException {
        if (IndexManifest.exists(dir)) {
            throw new InputException(dir + " already holds a gallery index");
        }
        if (model.embedDim() <= 0) {
            throw new InputException("the model has no ITC projection to make embeddings for");
        }
        Files.createDirectories(dir.resolve(GalleryIndex.SHARDS));
        IndexManifest manifest = IndexManifest.create(model);
        int dim = model.embedDim();
        SplittableRandom random = new SplittableRandom(seed);
        for (int start = 0; start < images; start += ROWS_PER_SHARD) {
            int rows = Math.min(ROWS_PER_SHARD, images - start);
            float[] features = new float[rows * dim];
            long[] ids = new long[rows];
            for (int r = 0; r < rows; r++) {
                double norm = 0;
                for (int d = 0; d < dim; d++) {
                    double v = random.nextDouble() * 2 - 1;
                    features[r * dim + d] = (float) v;
                    norm += v * v;
                }
                float scale = (float) (1 / Math.sqrt(norm));
                for (int d = 0; d < dim; d++) {
                    features[r * dim + d] *= scale;
                }
                ids[r] = manifest.nextId++;
            }
            String shard = GalleryIndex.SHARDS + "/" + String.format("embeddings-%06d.safetensors", manifest.nextShard++);
            SafeTensors.write(dir.resolve(shard), GalleryIndex.shardTensors(new long[] {rows, dim}, features, ids),
                    Map.of("format", IndexManifest.FORMAT));
            for (int r = 0; r < rows; r++) {
                String path = String.format("synthetic/%09d.jpg", ids[r]);
                manifest.images.put(path, new IndexedImage(ids[r], path, 0, 0, 0, 0, shard, r, null));
            }
        }
        manifest.updated = Instant.now();
        manifest.write(dir);
    }
}
