package dev.blip4j.models.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.BlipException;
import dev.blip4j.core.InputException;
import dev.blip4j.core.nn.CompiledKernel;
import dev.blip4j.models.checkpoint.DType;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.features.ModelIdentity;
import dev.blip4j.models.matching.ScoreMatrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A gallery index opened for searching: the manifest's record of each image, its ITC embeddings
 * in the memory-mapped embeddings shards (embedDim floats per image for BLIP; one such vector per
 * learned query for BLIP-2), and where kept, the path to its full token states. A text's score with
 * an image is the largest over the image's vectors of the cosine, which for BLIP's single vector is
 * the cosine. The embeddings never enter the Java heap: a search multiplies the mapped shards by the
 * query in libtorch, so a million BLIP images cost their 1 GB of page cache and nothing more.
 *
 * <p>Shards also hold the embeddings rounded to float16. {@link #nearest} scans those (half the
 * bytes: the scan is bound by memory bandwidth) and re-scores exactly, from the float32 rows, every
 * image that the rounding could have moved into the top {@code n}; the answer is the float32 one.
 *
 * <p>On disk an index is a folder (see {@link GalleryIndexer} for how it is written):
 * <pre>
 *   manifest.json                       format and version, model identity, times, one entry per image
 *   shards/embeddings-000000.safetensors  image_feat [rows, embedDim] F32 (normalised; BLIP-2:
 *                                         [rows, queries, embedDim]), ids [rows] I64,
 *                                         image_feat_f16: image_feat rounded to F16 (optional)
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
    static final String FEATURES_HALF = "image_feat_f16";
    static final String IDS = "ids";
    static final String TOKEN_STATES = "image_embeds";

    /**
     * One mapped embeddings shard.
     *
     * @param features [rows, dim] (BLIP-2: [rows, queries, dim]) float32, little-endian, a view of the mapping
     * @param half the same rounded to float16, or null in shards written before there was such a copy
     * @param entries for each row, the index entry it holds, or -1 for a row no entry names
     * @param unnamed -inf on each row no entry names and 0 elsewhere, or null when every row is named
     */
    private record Shard(ByteBuffer features, ByteBuffer half, int rows, int[] entries, float[] unnamed) {

        /** Its vectors, float16 or float32, as a [vectors, dim] array reading the mapping in place. */
        NDArray view(NDManager m, boolean float16, int perImage, int dim) {
            Shape shape = new Shape((long) rows * perImage, dim);
            return float16 ? m.create(half.duplicate().order(ByteOrder.nativeOrder()), shape, DataType.FLOAT16)
                    : m.create(features.duplicate().order(ByteOrder.nativeOrder()), shape, DataType.FLOAT32);
        }
    }

    private final Path dir;
    private final IndexManifest manifest;
    private final List<IndexedImage> images;
    private final List<Shard> shards;
    /** Per entry: its shard's position in {@link #shards} and its row there. */
    private final int[] shardOf;
    private final int[] rowOf;
    private final int dim;
    private final int perImage;
    /** The largest Euclidean norm of a stored vector (1 up to rounding: they are normalised). */
    private final double maxNorm;

    private GalleryIndex(Path dir, IndexManifest manifest, List<IndexedImage> images, List<Shard> shards,
            int[] shardOf, int[] rowOf, int dim, int perImage, double maxNorm) {
        this.dir = dir;
        this.manifest = manifest;
        this.images = images;
        this.shards = shards;
        this.shardOf = shardOf;
        this.rowOf = rowOf;
        this.dim = dim;
        this.perImage = perImage;
        this.maxNorm = maxNorm;
    }

    /**
     * Reads the manifest and maps every shard, checking that every entry's shard and row exist and
     * hold that entry, as finite numbers, and that the float16 copy is the float32 rows rounded (a
     * scan of the mapping: one sequential read of the shards).
     *
     * @throws InputException if the folder is no index, or a damaged one (naming the file)
     */
    public static GalleryIndex open(Path dir) {
        IndexManifest manifest = IndexManifest.read(dir);
        int dim = manifest.model.embedDim();
        int q = manifest.model.imageEmbeddings();
        long[] row = q == 1 ? new long[] {dim} : new long[] {q, dim};
        List<IndexedImage> images = List.copyOf(manifest.images.values());
        Map<String, List<Integer>> byShard = new LinkedHashMap<>();
        for (int i = 0; i < images.size(); i++) {
            byShard.computeIfAbsent(images.get(i).shard(), s -> new ArrayList<>()).add(i);
        }
        List<Shard> shards = new ArrayList<>(byShard.size());
        double maxNorm = 0;
        int[] shardOf = new int[images.size()];
        int[] rowOf = new int[images.size()];
        for (Map.Entry<String, List<Integer>> e : byShard.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Map<String, TensorData> shard = mapShard(file);
            TensorData feat = shard.get(FEATURES);
            TensorData ids = shard.get(IDS);
            if (feat == null || ids == null || feat.dtype() != DType.F32 || feat.shape().length != row.length + 1
                    || !Arrays.equals(Arrays.copyOfRange(feat.shape(), 1, feat.shape().length), row)
                    || ids.dtype() != DType.I64 || ids.shape().length != 1 || ids.shape()[0] != feat.shape()[0]) {
                throw new InputException(file + ": not an embeddings shard of this index (expected " + FEATURES
                        + " [rows, " + (q == 1 ? "" : q + ", ") + dim + "] F32 and " + IDS + " [rows] I64)");
            }
            TensorData half = shard.get(FEATURES_HALF);
            if (half != null && (half.dtype() != DType.F16 || !Arrays.equals(half.shape(), feat.shape()))) {
                throw new InputException(file + ": " + FEATURES_HALF + " must be F16 of " + FEATURES + "'s shape "
                        + Arrays.toString(feat.shape()) + ", not " + half.dtype() + " " + Arrays.toString(half.shape()));
            }
            int rows = Math.toIntExact(feat.shape()[0]);
            int[] entries = new int[rows];
            Arrays.fill(entries, -1);
            ByteBuffer rowIds = ids.data();
            for (int i : e.getValue()) {
                IndexedImage image = images.get(i);
                if (image.row() < 0 || image.row() >= rows || rowIds.getLong(image.row() * 8) != image.id()) {
                    throw new InputException(file + ": row " + image.row() + " does not hold image " + image.id() + " ("
                            + image.path() + "); the index is damaged, rebuild it");
                }
                maxNorm = Math.max(maxNorm, checkRow(file, image, feat.data(), half == null ? null : half.data(), q * dim, dim));
                entries[image.row()] = i;
                shardOf[i] = shards.size();
                rowOf[i] = image.row();
            }
            shards.add(new Shard(feat.data(), half == null ? null : half.data(), rows, entries, unnamedBias(entries)));
        }
        return new GalleryIndex(dir, manifest, images, List.copyOf(shards), shardOf, rowOf, dim, q, maxNorm);
    }

    /** -inf on each row no entry names and 0 elsewhere; null when every row is named. */
    private static float[] unnamedBias(int[] entries) {
        if (Arrays.stream(entries).allMatch(e -> e >= 0)) {
            return null;
        }
        float[] bias = new float[entries.length];
        for (int r = 0; r < entries.length; r++) {
            bias[r] = entries[r] >= 0 ? 0 : Float.NEGATIVE_INFINITY;
        }
        return bias;
    }

    /**
     * Checks one row of a shard: finite values, and where there is a float16 copy, the values rounded.
     *
     * @return the largest norm of the row's vectors of {@code dim} values
     */
    private static double checkRow(Path file, IndexedImage image, ByteBuffer values, ByteBuffer halves, int width,
            int dim) {
        double largest = 0;
        double norm = 0;
        for (int d = image.row() * width, end = d + width; d < end; d++) {
            float v = values.getFloat(4 * d);
            if (!Float.isFinite(v)) { // a NaN embedding makes every score with it NaN
                throw new InputException(file + ": row " + image.row() + " (" + image.path() + ") holds "
                        + v + "; the index is damaged, rebuild it");
            }
            if (halves != null && halves.getShort(2 * d) != TensorData.floatToHalf(v)) {
                throw new InputException(file + ": row " + image.row() + " (" + image.path() + "): its " + FEATURES_HALF
                        + " is not its " + FEATURES + " rounded to float16; the index is damaged, rebuild it");
            }
            norm += (double) v * v;
            if ((d + 1) % dim == 0) {
                largest = Math.max(largest, Math.sqrt(norm));
                norm = 0;
            }
        }
        return largest;
    }

    /** The tensors of an embeddings shard holding {@code features} [shape] of the images {@code ids}. */
    static Map<String, TensorData> shardTensors(long[] shape, float[] features, long[] ids) {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put(FEATURES, TensorData.ofFloats(shape, features));
        tensors.put(FEATURES_HALF, TensorData.ofHalves(shape, features));
        tensors.put(IDS, TensorData.ofLongs(new long[] {ids.length}, ids));
        return tensors;
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
        int width = perImage * dim;
        float[] out = new float[width];
        ByteBuffer features = shards.get(shardOf[i]).features();
        int base = rowOf[i] * width * 4;
        for (int d = 0; d < width; d++) {
            out[d] = features.getFloat(base + 4 * d);
        }
        return out;
    }

    /**
     * Each image's score with a normalised query embedding, in index order: the cosine, and for
     * BLIP-2 the largest over the image's query vectors of it. One matrix-vector product per shard,
     * read in place from the mapping (float32 sums, as PyTorch's {@code @}).
     */
    public float[] similarities(float[] query) {
        return similarities(query, BlipEngine.threads() >= 2);
    }

    /**
     * The {@code n} best images for a query, best first, and their scores.
     *
     * @param images gallery indices
     * @param scores their scores: the dot products summed in double and rounded to float
     */
    public record Nearest(int[] images, float[] scores) {}

    /**
     * The {@code n} images with the highest scores with a normalised query embedding (as
     * {@link #similarities}), best first, equal scores in index order.
     *
     * <p>A first pass scans an approximation of every score whose error is bounded: the float16 copy
     * where every shard has one (half the bytes of float32, and the scan is bound by memory
     * bandwidth), else the float32 product. Every image whose approximate score lies within twice
     * that bound of the {@code n}-th best could belong to the top {@code n}; only those are scored
     * exactly, from their float32 rows. The answer is the exact ranking whichever pass ran.
     */
    public Nearest nearest(float[] query, int n) {
        return nearest(query, n, usesFloat16Pass(query));
    }

    /**
     * As {@link #nearest(float[], int)}, with the float16 first pass or the float32 one. Each shard's
     * pass runs in libtorch down to the rows within the margin of the shard's own {@code n}-th best (a
     * superset of those within the margin of the gallery's): only those rows cross into Java.
     */
    Nearest nearest(float[] query, int n, boolean halfPass) {
        checkQuery(query);
        int count = Math.max(0, Math.min(n, images.size()));
        if (count == 0) {
            return new Nearest(new int[0], new float[0]);
        }
        double margin = 2 * (halfPass ? HALF_ERROR : FLOAT_ERROR * dim) * norm(query) * maxNorm;
        int[] candidates = new int[Math.max(64, 2 * count)];
        int c = 0;
        try (NDManager m = BlipEngine.newManager(null)) {
            NDArray q = m.create(query, new Shape(dim));
            FirstPass pass = halfPass ? HalfScan.PASS : FLOAT_PASS;
            for (Shard shard : shards) {
                long[] found;
                try (NDArray f = shard.view(m, halfPass, perImage, dim)) {
                    found = pass.candidates(m, f, q, perImage, count, margin, shard.unnamed());
                }
                for (long r : found) {
                    int image = shard.entries()[(int) r];
                    if (image >= 0) {
                        if (c == candidates.length) {
                            candidates = Arrays.copyOf(candidates, 2 * c);
                        }
                        candidates[c++] = image;
                    }
                }
            }
        }
        Arrays.sort(candidates, 0, c); // index order, so that equal scores keep it
        float[] exact = new float[c];
        for (int j = 0; j < c; j++) {
            exact[j] = exactScore(candidates[j], query);
        }
        int[] best = ScoreMatrix.topK(exact, count);
        int[] ids = new int[count];
        float[] scores = new float[count];
        for (int r = 0; r < count; r++) {
            ids[r] = candidates[best[r]];
            scores[r] = exact[best[r]];
        }
        return new Nearest(ids, scores);
    }

    /**
     * The body of a first pass: {@code s} holds each stored vector's score; the best per image, the
     * shard's n-th best, and the rows within {@code margin} of it. With {@code unnamed}, rows no entry
     * names are kept out of the n best.
     */
    private static String candidateRows(String score, boolean unnamed) {
        return "s = " + score + "\n"
                + "if per > 1:\n  s = torch.amax(torch.reshape(s, [-1, per]), [1])\n"
                + (unnamed ? "s = torch.add(s, unnamed)\n" : "")
                + "k = min(n, torch.size(s, 0))\n"
                + "kth = torch.select(torch.topk(s, k)[0], 0, k - 1)\n"
                + "return torch.reshape(torch.nonzero(torch.ge(s, torch.sub(kth, margin))), [-1])";
    }

    /**
     * A first pass's kernels: for shards whose rows are all named, and for shards with rows no entry
     * names (held at -inf through an extra argument, which TorchScript cannot be passed as absent).
     */
    private record FirstPass(CompiledKernel all, CompiledKernel named) {

        FirstPass(String name, String score) {
            this(new CompiledKernel(name, PARAMETERS, "Tensor", candidateRows(score, false)),
                    new CompiledKernel(name + "Named", PARAMETERS + ", unnamed: Tensor", "Tensor",
                            candidateRows(score, true)));
        }

        private static final String PARAMETERS = "f: Tensor, q: Tensor, per: int, n: int, margin: float";

        /** The candidate rows of shard vectors {@code f}; {@code unnamed} as {@link Shard#unnamed}. */
        long[] candidates(NDManager m, NDArray f, NDArray q, int per, int n, double margin, float[] unnamed) {
            NDArray rows = unnamed == null ? all.apply(m, f, q, per, n, margin)
                    : named.apply(m, f, q, per, n, margin, m.create(unnamed));
            return rows.toLongArray();
        }
    }

    private static final FirstPass FLOAT_PASS = new FirstPass("FloatCandidates", "torch.mv(f, q)");

    /**
     * Bound on |float16 pass - exact| per unit of |query| x |vector|, twice what the pass can err:
     * inputs rounded to float16 (2u + u^2, u = 2^-11), float32 sums of d <= 4096 exact products
     * (d 2^-24 <= 2^-12), the result rounded to float16 (u), subnormals (< 2^-20 at the norms
     * allowed) sum to under 2^-9. The margin keeps exact scores that float rounding could tie apart.
     */
    private static final double HALF_ERROR = 0x1p-8;
    /** The same for the float32 pass, per dimension: twice the d 2^-24 of float32 sums. */
    private static final double FLOAT_ERROR = 0x1p-23;

    /**
     * Whether {@link #nearest} runs the float16 first pass for this query: every shard has the copy,
     * its error bound holds (unit-size vectors) and this libtorch sums half products in float32.
     */
    public boolean usesFloat16Pass(float[] query) {
        double q = norm(query);
        return shards.stream().allMatch(s -> s.half() != null) && dim <= 4096 && q >= 0.5 && q <= 2
                && maxNorm >= 0.5 && maxNorm <= 2 && HalfScan.SOUND;
    }

    private void checkQuery(float[] query) {
        if (query.length != dim) {
            throw new InputException("query embedding has " + query.length + " values, the index " + dim);
        }
    }

    private static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum);
    }

    /** Image {@code i}'s score with {@code query}, summed in double and rounded once. */
    private float exactScore(int i, float[] query) {
        ByteBuffer features = shards.get(shardOf[i]).features();
        int base = rowOf[i] * perImage * dim;
        float best = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < perImage; v++) {
            double dot = 0;
            for (int d = 0; d < dim; d++) {
                dot += (double) query[d] * features.getFloat(4 * (base + v * dim + d));
            }
            best = Math.max(best, (float) dot);
        }
        return best;
    }

    /** As {@link #similarities(float[])}, each shard scanned in two concurrent halves or in one product. */
    float[] similarities(float[] query, boolean halves) {
        checkQuery(query);
        float[] out = new float[images.size()];
        try (NDManager m = BlipEngine.newManager(null)) {
            NDArray q = m.create(query, new Shape(dim));
            for (Shard shard : shards) {
                float[] sims;
                try (NDArray features = shard.view(m, false, perImage, dim)) {
                    sims = (halves ? SCAN_HALVES.apply(m, features, q) : features.matMul(q)).toFloatArray();
                }
                int[] entries = shard.entries();
                for (int r = 0; r < entries.length; r++) {
                    if (entries[r] >= 0) {
                        float best = Float.NEGATIVE_INFINITY;
                        for (int v = 0; v < perImage; v++) {
                            best = Math.max(best, sims[r * perImage + v]);
                        }
                        out[entries[r]] = best;
                    }
                }
            }
        }
        return out;
    }

    /**
     * A shard's matrix-vector product over its two halves at once: one product reads at about one core's
     * bandwidth (13 GB/s on 2 AVX-512 cores), and two at once scanned 1M images in 43 ms against 93.
     * The kernel blocks the rows of a half differently: sums equal up to their last bit.
     */
    private static final CompiledKernel SCAN_HALVES = new CompiledKernel("ScanHalves", "f: Tensor, q: Tensor",
            "Tensor", """
            h = torch.size(f, 0) // 2
            first = fork(torch.mv, torch.narrow(f, 0, 0, h), q)
            second = torch.mv(torch.narrow(f, 0, h, torch.size(f, 0) - h), q)
            return torch.cat([torch.wait(first), second])
            """);

    /**
     * The float16 scan: libtorch's half matrix-vector product (33 GB/s here, against 24 for float32 in
     * two halves) returned as float32. Its error bound assumes float32 sums, PyTorch's default on CPU
     * ({@code allowFP16ReductionCPU} off); {@link #SOUND} checks that once per process.
     */
    private static final class HalfScan {
        private static final String SCORE = "torch.to(torch.mv(f, torch.to(q, 5)), 6)";
        static final CompiledKernel KERNEL = new CompiledKernel("HalfScan", "f: Tensor, q: Tensor", "Tensor",
                "return " + SCORE);
        static final FirstPass PASS = new FirstPass("HalfCandidates", SCORE);
        /**
         * 2048 + 255 ones is 2303, 2304 in float16; sums kept in float16 lose the ones (2048, or
         * 2296 for eight-lane partial sums).
         */
        static final boolean SOUND = sound();

        private static boolean sound() {
            float[] row = new float[256];
            Arrays.fill(row, 1f);
            row[0] = 2048f;
            float[] ones = new float[256];
            Arrays.fill(ones, 1f);
            try (NDManager m = BlipEngine.newManager(null)) {
                NDArray f = m.create(row, new Shape(1, 256)).toType(DataType.FLOAT16, false);
                return KERNEL.apply(m, f, m.create(ones)).toFloatArray()[0] == 2304f;
            } catch (InputException e) { // this libtorch cannot run it
                return false;
            }
        }
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

    private static Map<String, TensorData> mapShard(Path file) {
        try {
            return SafeTensors.map(file).tensors();
        } catch (BlipException e) {
            throw new InputException("index file " + e.getMessage(), e);
        }
    }

    private static Map<String, TensorData> readShard(Path file) {
        try {
            return SafeTensors.read(file).tensors();
        } catch (BlipException e) { // SafeTensors reports damage as a ModelException; here it is a damaged index
            throw new InputException("index file " + e.getMessage(), e);
        }
    }
}
