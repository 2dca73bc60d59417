package dev.blip4j.models.retrieval;

import dev.blip4j.core.BlipException;
import dev.blip4j.core.InputException;
import dev.blip4j.models.checkpoint.DType;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.features.ModelIdentity;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A gallery index opened for searching: every image's ITC embeddings in memory (embedDim floats per
 * image for BLIP; one such vector per learned query for BLIP-2), the manifest's record of each file,
 * and where kept, the path to its full token states. A text's score with an image is the largest
 * over the image's vectors of the cosine, which for BLIP's single vector is the cosine.
 *
 * <p>On disk an index is a folder (see {@link GalleryIndexer} for how it is written):
 * <pre>
 *   manifest.json                       format and version, model identity, times, one entry per image
 *   shards/embeddings-000000.safetensors  image_feat [rows, embedDim] F32 (normalised; BLIP-2:
 *                                         [rows, queries, embedDim]), ids [rows] I64
 *   tokens/000000000042.safetensors      image_embeds [tokens, width] F32 (only with keepImageTokens)
 * </pre>
 *
 * <p>An immutable snapshot, safe to share between threads; a later build does not change it (open
 * the index again to see it).
 */
public final class GalleryIndex {

    static final String SHARDS = "shards";
    static final String TOKENS = "tokens";
    static final String FEATURES = "image_feat";
    static final String IDS = "ids";
    static final String TOKEN_STATES = "image_embeds";

    private final Path dir;
    private final IndexManifest manifest;
    private final List<IndexedImage> images;
    private final float[] embeddings;
    private final int dim;
    private final int perImage;

    private GalleryIndex(Path dir, IndexManifest manifest, List<IndexedImage> images, float[] embeddings, int dim,
            int perImage) {
        this.dir = dir;
        this.manifest = manifest;
        this.images = images;
        this.embeddings = embeddings;
        this.dim = dim;
        this.perImage = perImage;
    }

    /**
     * Reads an index folder, checking that every entry's shard and row exist and hold that entry.
     *
     * @throws InputException if the folder is no index, or a damaged one (naming the file)
     */
    public static GalleryIndex open(Path dir) {
        IndexManifest manifest = IndexManifest.read(dir);
        int dim = manifest.model.embedDim();
        int q = manifest.model.imageEmbeddings();
        long[] row = q == 1 ? new long[] {dim} : new long[] {q, dim};
        List<IndexedImage> images = List.copyOf(manifest.images.values());
        float[] embeddings = new float[Math.multiplyExact(images.size(), q * dim)];
        Map<String, List<Integer>> byShard = new HashMap<>();
        for (int i = 0; i < images.size(); i++) {
            byShard.computeIfAbsent(images.get(i).shard(), s -> new ArrayList<>()).add(i);
        }
        for (Map.Entry<String, List<Integer>> e : byShard.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Map<String, TensorData> shard = readShard(file);
            TensorData feat = shard.get(FEATURES);
            TensorData ids = shard.get(IDS);
            if (feat == null || ids == null || feat.dtype() != DType.F32 || feat.shape().length != row.length + 1
                    || !Arrays.equals(Arrays.copyOfRange(feat.shape(), 1, feat.shape().length), row)
                    || ids.shape().length != 1 || ids.shape()[0] != feat.shape()[0]) {
                throw new InputException(file + ": not an embeddings shard of this index (expected " + FEATURES
                        + " [rows, " + (q == 1 ? "" : q + ", ") + dim + "] F32 and " + IDS + " [rows])");
            }
            float[] values = feat.toFloatArray();
            long[] rowIds = ids.toLongArray();
            for (int i : e.getValue()) {
                IndexedImage image = images.get(i);
                if (image.row() < 0 || image.row() >= rowIds.length || rowIds[image.row()] != image.id()) {
                    throw new InputException(file + ": row " + image.row() + " does not hold image " + image.id() + " ("
                            + image.path() + "); the index is damaged, rebuild it");
                }
                System.arraycopy(values, image.row() * q * dim, embeddings, i * q * dim, q * dim);
            }
        }
        return new GalleryIndex(dir, manifest, images, embeddings, dim, q);
    }

    public Path dir() {
        return dir;
    }

    /** The model that built the index. */
    public ModelIdentity model() {
        return manifest.model;
    }

    public Instant created() {
        return manifest.created;
    }

    public Instant updated() {
        return manifest.updated;
    }

    public int formatVersion() {
        return IndexManifest.VERSION;
    }

    public int size() {
        return images.size();
    }

    public int embedDim() {
        return dim;
    }

    /** Entries in index order (the order {@link #similarities} and hits use). */
    public List<IndexedImage> images() {
        return images;
    }

    /** ITC vectors per image: 1 for BLIP, the learned queries for BLIP-2. */
    public int embeddingsPerImage() {
        return perImage;
    }

    /** Image {@code i}'s normalised ITC embeddings (a copy): [embedDim], or BLIP-2's [queries, embedDim]. */
    public float[] embedding(int i) {
        return Arrays.copyOfRange(embeddings, i * perImage * dim, (i + 1) * perImage * dim);
    }

    /**
     * Each image's score with a normalised query embedding, in index order: the cosine, and for
     * BLIP-2 the largest over the image's query vectors of it.
     */
    public float[] similarities(float[] query) {
        if (query.length != dim) {
            throw new InputException("query embedding has " + query.length + " values, the index " + dim);
        }
        return ItcScores.best(embeddings, perImage, query, dim);
    }

    /**
     * Refuses a model other than the one that built the index: embeddings of two models live in
     * unrelated spaces, so the ranking would be silently meaningless.
     *
     * @throws InputException naming both models
     */
    public void requireModel(ModelIdentity model) {
        if (!manifest.model.compatibleWith(model)) {
            throw new InputException("index " + dir + " was built with model " + manifest.model.describe()
                    + ", not with " + model.describe() + ": search it with that model, or build a new index");
        }
    }

    /** Whether image {@code i}'s token states were kept. */
    public boolean hasTokens(int i) {
        return images.get(i).tokens() != null;
    }

    /**
     * Image {@code i}'s full token states [tokens, width], row-major, from its token file.
     *
     * @throws InputException if they were not kept or the file is damaged
     */
    public float[] tokens(int i) {
        IndexedImage image = images.get(i);
        if (image.tokens() == null) {
            throw new InputException(image.path() + ": its token states were not kept in index " + dir);
        }
        Path file = dir.resolve(image.tokens());
        TensorData t = readShard(file).get(TOKEN_STATES);
        long tokens = manifest.model.imageTokens();
        long width = manifest.model.visionWidth();
        if (t == null || t.dtype() != DType.F32 || !Arrays.equals(t.shape(), new long[] {tokens, width})) {
            throw new InputException(file + ": expected " + TOKEN_STATES + " [" + tokens + ", " + width + "] F32");
        }
        return t.toFloatArray();
    }

    private static Map<String, TensorData> readShard(Path file) {
        try {
            return SafeTensors.read(file).tensors();
        } catch (BlipException e) { // SafeTensors reports damage as a ModelException; here it is a damaged index
            throw new InputException("index file " + e.getMessage(), e);
        }
    }
}
