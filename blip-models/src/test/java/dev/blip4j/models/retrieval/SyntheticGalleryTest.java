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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A synthetic gallery is a real index: it opens, its shards are memory-mapped rather than read, and
 * the cosines computed in libtorch from the mapping are those of the stored vectors.
 */
class SyntheticGalleryTest {

    private static final ModelIdentity MODEL = new ModelIdentity("0".repeat(64), "/nowhere/model.pth", "original",
            List.of("itm"), 64, 16, 48, 17);

    @Test
    void opensAndSearchesInPlace(@TempDir Path dir) throws Exception {
        int images = SyntheticGallery.ROWS_PER_SHARD + 300;
        Path index = dir.resolve("gallery");
        SyntheticGallery.write(index, MODEL, images, 7);
        GalleryIndex gallery = GalleryIndex.open(index);
        assertEquals(images, gallery.size());
        assertEquals(16, gallery.embedDim());

        Path shard = index.resolve(gallery.images().get(images - 1).shard());
        Map<String, TensorData> mapped = SafeTensors.map(shard).tensors();
        Map<String, TensorData> read = SafeTensors.read(shard).tensors();
        assertTrue(mapped.get(GalleryIndex.FEATURES).data().isDirect());
        assertArrayEquals(read.get(GalleryIndex.FEATURES).toFloatArray(), mapped.get(GalleryIndex.FEATURES).toFloatArray());

        for (int i : new int[] {0, 12345, SyntheticGallery.ROWS_PER_SHARD + 299}) {
            float[] query = gallery.embedding(i);
            float[] sims = gallery.similarities(query, true);
            // the kernel blocks rows differently in a half: sums equal up to the last bit
            assertArrayEquals(gallery.similarities(query, false), sims, 1e-6f, "halves scanned concurrently");
            assertEquals(1.0, sims[i], 1e-5, "a unit vector against itself");
            assertEquals(i, ScoreMatrix.topK(sims, 1)[0]);
            float[] other = gallery.embedding(images - 1 - i);
            double dot = 0;
            for (int d = 0; d < query.length; d++) {
                dot += (double) query[d] * other[d];
            }
            assertEquals(dot, sims[images - 1 - i], 1e-6);
        }
        assertThrows(InputException.class, () -> SyntheticGallery.write(index, MODEL, 10, 7));
        assertTrue(Files.isRegularFile(index.resolve("manifest.json")));
    }
}
