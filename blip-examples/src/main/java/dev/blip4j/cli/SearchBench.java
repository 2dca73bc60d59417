package dev.blip4j.cli;

import dev.blip4j.core.BlipKind;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.RandomCheckpoint;
import dev.blip4j.models.features.ModelIdentity;
import dev.blip4j.models.matching.MatchingText;
import dev.blip4j.models.retrieval.GalleryIndex;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.retrieval.SearchOptions;
import dev.blip4j.models.retrieval.SyntheticGallery;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * {@code blip bench}'s search task: text queries against synthetic gallery indexes of 10k, 100k
 * and 1M random unit embeddings written in the real index format, through the public
 * {@link ImageRetriever} (ITC top-10, no re-ranking). Reports the index's size on disk, the time to
 * open it, the resident memory it adds (the embeddings are memory-mapped, never on the Java heap),
 * and the latency of a whole query (tokenise, text encoder, scan, top-10) and of the scan alone.
 */
final class SearchBench {

    private final BenchCommand bench;
    private final MachineLimits limits;

    SearchBench(BenchCommand bench, MachineLimits limits) {
        this.bench = bench;
        this.limits = limits;
    }

    List<Map<String, Object>> run() throws IOException {
        boolean temporary = bench.galleryDir == null;
        Path root = temporary ? Files.createTempDirectory("blip-bench-gallery") : bench.galleryDir;
        try (BlipModel model = model(root)) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (int size : bench.gallerySizes) {
                if (size < 1) {
                    throw new InputException("--gallery sizes must be positive, got " + size);
                }
                out.add(measure(model, root.resolve("gallery-" + size), size));
            }
            return out;
        } finally {
            if (temporary) {
                delete(root);
            }
        }
    }

    /** The model the gallery belongs to: with --random, its ITM kind written once to a .pth (an index names its weights file). */
    private BlipModel model(Path root) throws IOException {
        if (bench.modelPath != null) {
            return bench.load.load(bench.modelPath);
        }
        Path weights = root.resolve("model").resolve("itm-" + bench.random + "-seed" + bench.seed + ".pth");
        if (!Files.isRegularFile(weights)) {
            Files.createDirectories(weights.getParent());
            BenchCommand.writeCheckpoint(new RandomCheckpoint(RandomCheckpoint.Size.parse(bench.random), BlipKind.ITM,
                    bench.seed), weights);
        }
        return bench.load.load(weights.toString());
    }

    private Map<String, Object> measure(BlipModel model, Path dir, int size) throws IOException {
        ModelIdentity identity = ModelIdentity.of(model);
        if (!Files.isRegularFile(dir.resolve("manifest.json"))) {
            long start = System.nanoTime();
            SyntheticGallery.write(dir, identity, size, bench.seed);
            System.err.printf("bench: wrote a synthetic gallery of %d images in %.1f s%n", size,
                    (System.nanoTime() - start) / 1e9);
        }
        System.gc();
        long rssBefore = MemoryStats.now().rssBytes();
        long start = System.nanoTime();
        GalleryIndex index = GalleryIndex.open(dir);
        double openMs = (System.nanoTime() - start) / 1e6;
        if (index.size() != size) {
            throw new InputException(dir + " holds " + index.size() + " images, not " + size + ": delete it");
        }
        ImageRetriever retriever = new ImageRetriever(model, index);
        SearchOptions options = SearchOptions.defaults();
        for (int i = 0; i < Math.max(1, bench.warmup); i++) {
            retriever.search(BenchCommand.TEXTS.get(i % BenchCommand.TEXTS.size()), options);
        }
        double[] query = new double[bench.queries];
        long tokens = 0;
        for (int i = 0; i < query.length; i++) {
            String text = BenchCommand.TEXTS.get(i % BenchCommand.TEXTS.size());
            tokens += MatchingText.encodeQuery(model, text).width();
            long t = System.nanoTime();
            retriever.search(text, options);
            query[i] = (System.nanoTime() - t) / 1e6;
        }
        // the scan alone: a random unit query against every image, the top 10 exact
        SplittableRandom random = new SplittableRandom(bench.seed);
        double[] scan = new double[bench.queries];
        for (int i = 0; i < scan.length; i++) {
            float[] q = unit(random, index.embedDim());
            long t = System.nanoTime();
            index.nearest(q, options.k());
            scan[i] = (System.nanoTime() - t) / 1e6;
        }
        System.gc();
        long rssAfter = MemoryStats.now().rssBytes();

        long embeddingBytes = 4L * size * index.embedDim();
        boolean float16 = index.usesFloat16Pass(unit(random, index.embedDim()));
        TaskWork work = new TaskWork(model.network().config(), bench.bytesPerWeight(),
                model.network().dtype().getNumOfBytes())
                .textPass("text encoder", 1, Math.round((double) tokens / query.length), 0, 0)
                .head("text_proj", 1, model.network().config().text().hidden(), index.embedDim())
                .scan(size, index.embedDim(), float16 ? 2 : 4);
        double limit = work.limitSeconds(limits);
        double p50 = percentile(query, 50);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("task", "search");
        r.put("batch_size", 1);
        r.put("gallery", size);
        r.put("iterations", query.length);
        r.put("latency_ms", Map.of("median", BenchCommand.round(p50), "min", BenchCommand.round(min(query)),
                "max", BenchCommand.round(max(query))));
        r.put("p50_ms", BenchCommand.round(p50));
        r.put("p95_ms", BenchCommand.round(percentile(query, 95)));
        r.put("scan_p50_ms", BenchCommand.round(percentile(scan, 50)));
        r.put("scan_p95_ms", BenchCommand.round(percentile(scan, 95)));
        r.put("scan_first_pass", float16 ? "float16, exact re-scoring" : "float32, exact re-scoring");
        r.put("query_tokens", BenchCommand.round((double) tokens / query.length));
        r.put("throughput", BenchCommand.round(1000 / p50));
        r.put("unit", "queries/s");
        r.put("index_mb", MemoryStats.mb(folderBytes(dir)));
        r.put("embeddings_mb", MemoryStats.mb(embeddingBytes));
        r.put("open_ms", BenchCommand.round(openMs));
        r.put("rss_before_open_mb", MemoryStats.mb(rssBefore));
        r.put("rss_after_queries_mb", MemoryStats.mb(rssAfter));
        r.put("index_resident_mb", MemoryStats.mb(rssAfter - rssBefore));
        r.put("index_resident_to_embeddings", BenchCommand.round((double) (rssAfter - rssBefore) / embeddingBytes));
        r.put("limit_s", BenchCommand.round4(limit));
        r.put("ratio_to_limit", BenchCommand.round(p50 / 1000 / limit));
        r.put("gflop", BenchCommand.round(work.flops() / 1e9));
        r.put("mb_moved", BenchCommand.round(work.bytes() / 1e6));
        r.put("work", work.toJson(limits));
        r.put("memory", MemoryStats.now().toJson());
        return r;
    }

    private static float[] unit(SplittableRandom random, int dim) {
        float[] q = new float[dim];
        double norm = 0;
        for (int d = 0; d < dim; d++) {
            q[d] = (float) (random.nextDouble() * 2 - 1);
            norm += q[d] * q[d];
        }
        for (int d = 0; d < dim; d++) {
            q[d] /= (float) Math.sqrt(norm);
        }
        return q;
    }

    static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }

    private static long folderBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static void delete(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
