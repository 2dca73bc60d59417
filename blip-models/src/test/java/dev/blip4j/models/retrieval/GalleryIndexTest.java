package dev.blip4j.models.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.ModelIdentity;
import dev.blip4j.models.image.ImageFiles;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.MatchMatrix;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.matching.ScoreMatrix;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gallery index of 300 generated images with the tiny retrieval model: interrupted and resumed,
 * grown, updated after files change or vanish, and searched; always equal to a fresh build.
 */
class GalleryIndexTest {

    static final List<String> QUERIES = List.of("a cat", "four bears walking on the red street.",
            "the cat and the bear play in the room", "blue green red", "");

    static BlipModel model;

    @TempDir
    static Path shared;

    static Path images;
    static List<Path> files;
    static Path fresh;

    @BeforeAll
    static void buildFresh() {
        model = GoldenModels.load(Golden.of("retrieval"), Layout.HUGGINGFACE);
        images = shared.resolve("images");
        GeneratedImages.write(images, 300, 7);
        files = ImageFiles.list(images, true);
        assertEquals(300, files.size());
        fresh = shared.resolve("fresh");
        IndexReport r = new GalleryIndexer(model, new IndexOptions(16, 32, false)).build(fresh, images, IndexListener.NONE);
        assertEquals(new IndexReport(300, 0, 300, 0, List.of()), r);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static final class Stop extends RuntimeException {}

    @Test
    void interruptedBuildResumesAndGrowsToTheFreshIndex(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("index");
        GalleryIndexer indexer = new GalleryIndexer(model, new IndexOptions(16, 32, false));
        List<Path> first = files.subList(0, 250);
        // a listener that stops the build at the 100th image: chunks of 32 committed so far survive
        assertThrows(Stop.class, () -> indexer.build(dir, first, (done, total, image) -> {
            if (done == 100) {
                throw new Stop();
            }
        }));
        GalleryIndex partial = GalleryIndex.open(dir);
        assertEquals(96, partial.size(), "three chunks of 32 were committed before the stop");
        assertEquals(files.subList(0, 96).stream().map(GalleryIndexTest::key).toList(),
                partial.images().stream().map(IndexedImage::path).toList());

        AtomicInteger calls = new AtomicInteger();
        IndexReport resumed = indexer.build(dir, first, (done, total, image) -> {
            calls.incrementAndGet();
            assertEquals(154, total);
        });
        assertEquals(new IndexReport(250, 96, 154, 0, List.of()), resumed);
        assertEquals(154, calls.get(), "only the images not yet indexed are encoded");

        IndexReport added = indexer.add(dir, files.subList(250, 300), IndexListener.NONE);
        assertEquals(new IndexReport(300, 0, 50, 0, List.of()), added);

        assertSameIndex(GalleryIndex.open(fresh), GalleryIndex.open(dir));
        assertSameSearches(GalleryIndex.open(fresh), GalleryIndex.open(dir));

        // nothing changed: nothing is encoded, no file is written
        long shards = count(dir.resolve("shards"));
        IndexReport again = indexer.build(dir, images, (done, total, image) -> {
            throw new AssertionError("nothing should be encoded, got " + image);
        });
        assertEquals(new IndexReport(300, 300, 0, 0, List.of()), again);
        assertEquals(shards, count(dir.resolve("shards")));
    }

    @Test
    void changedAndDeletedFilesAreDetected(@TempDir Path tmp) throws IOException {
        Path folder = tmp.resolve("images");
        List<Path> mine = GeneratedImages.write(folder, 40, 11);
        Path dir = tmp.resolve("index");
        GalleryIndexer indexer = new GalleryIndexer(model, new IndexOptions(8, 16, false));
        indexer.build(dir, folder, IndexListener.NONE);

        Path changed = mine.get(5);
        GalleryIndex first = GalleryIndex.open(dir);
        float[] old = first.embedding(indexOf(first, changed));
        FileTime before = Files.getLastModifiedTime(changed);
        GeneratedImages.write(changed, new Random(99));
        Files.setLastModifiedTime(changed, FileTime.fromMillis(before.toMillis() + 5000));
        Path deleted = mine.get(17);
        Files.delete(deleted);
        Files.writeString(dir.resolve("shards/embeddings-999999.safetensors"), "left over");
        Files.writeString(dir.resolve(".manifest.json.0123.partial"), "{");

        List<Path> encoded = new ArrayList<>();
        IndexReport r = indexer.build(dir, folder, (done, total, image) -> encoded.add(image));
        assertEquals(new IndexReport(39, 38, 1, 2, List.of()), r);
        assertEquals(List.of(changed), encoded);
        assertFalse(Files.exists(dir.resolve("shards/embeddings-999999.safetensors")), "orphan shard removed");
        assertFalse(Files.exists(dir.resolve(".manifest.json.0123.partial")), "temporary file removed");

        GalleryIndex index = GalleryIndex.open(dir);
        int at = indexOf(index, changed);
        float[] want = new FeatureExtractor(model).image(changed).embedding();
        assertArrayEquals(want, index.embedding(at), 1e-6f, "the changed file's new embedding");
        assertEquals(-1, indexOf(index, deleted));
        IndexedImage entry = index.images().get(at);
        assertEquals(Files.size(changed), entry.bytes());
        assertEquals(40, entry.width());
        assertEquals(40, entry.height());

        // the first shard still holds the deleted image's and the changed image's old rows, which no
        // entry names: they must not take a place among the n best of either pass (the old embedding
        // as a query puts its own unnamed row first)
        for (float[] q : new float[][] {old, index.embedding(at), index.embedding(0)}) {
            float[] all = GalleryNearestTest.exactScores(index, q);
            for (boolean half : new boolean[] {true, false}) {
                for (int n : new int[] {1, 10}) {
                    assertArrayEquals(ScoreMatrix.topK(all, n), index.nearest(q, n, half).images(),
                            "top " + n + ", float16 pass " + half);
                }
            }
        }
    }

    @Test
    void unreadableImagesAreReportedAndSkipped(@TempDir Path tmp) throws IOException {
        Path folder = tmp.resolve("images");
        GeneratedImages.write(folder, 6, 3);
        Path broken = folder.resolve("broken.png");
        Files.writeString(broken, "not a png");
        Path missing = folder.resolve("missing.png");
        List<Path> list = new ArrayList<>(ImageFiles.list(folder, true));
        list.add(missing);
        List<String> skipped = new ArrayList<>();
        IndexReport r = new GalleryIndexer(model).build(tmp.resolve("index"), list, new IndexListener() {
            @Override
            public void progress(int done, int total, Path image) {}

            @Override
            public void skipped(Path image, String reason) {
                skipped.add(image.getFileName().toString());
            }
        });
        assertEquals(6, r.images());
        assertEquals(2, r.failed().size());
        assertEquals(List.of("missing.png", "broken.png"), skipped);
        assertTrue(r.failed().get(1).message().contains("broken.png"), r.failed().get(1).message());
        assertEquals(6, GalleryIndex.open(tmp.resolve("index")).size());
    }

    @Test
    void textSearchReRanksWithTheOfficialScore() {
        GalleryIndex index = GalleryIndex.open(fresh);
        ImageRetriever retriever = new ImageRetriever(model, index);
        String query = "four bears walking on the red street.";
        SearchResult itcOnly = retriever.search(query, SearchOptions.defaults().withK(12));
        assertEquals(12, itcOnly.hits().size());
        for (int r = 0; r < 12; r++) {
            SearchHit h = itcOnly.hits().get(r);
            assertEquals(r + 1, h.rank());
            assertNull(h.itm());
            assertEquals(h.itc(), h.score());
            if (r > 0) {
                assertTrue(itcOnly.hits().get(r - 1).itc() >= h.itc());
            }
        }
        SearchResult reranked = retriever.search(query, SearchOptions.defaults().withK(12).withRerank(8));
        assertTrue(reranked.problems().isEmpty());
        List<SearchHit> hits = reranked.hits();
        // the re-ranked set is the ITC top 8; the other 4 follow in ITC order
        assertEquals(itcOnly.hits().subList(0, 8).stream().map(SearchHit::path).sorted().toList(),
                hits.subList(0, 8).stream().map(SearchHit::path).sorted().toList());
        assertEquals(itcOnly.hits().subList(8, 12).stream().map(SearchHit::path).toList(),
                hits.subList(8, 12).stream().map(SearchHit::path).toList());
        List<dev.blip4j.models.image.RgbImage> top = new ArrayList<>();
        for (SearchHit h : hits.subList(0, 8)) {
            top.add(model.readImage(Path.of(h.path())));
        }
        // the ITM numbers are those of the matcher with [ENC] first, the score their official sum
        MatchMatrix check = new ImageTextMatcher(model, MatchOptions.defaults().withFirstToken(FirstToken.ENC))
                .match(top, List.of(query));
        for (int r = 0; r < 8; r++) {
            SearchHit h = hits.get(r);
            assertNotNull(h.itm());
            assertEquals(check.itmLogits().get(r, 0), h.itmLogit(), 1e-5);
            assertEquals(check.itm().get(r, 0), h.itm(), 1e-5);
            assertEquals(check.itc().get(r, 0), h.itc(), 1e-5);
            assertEquals((float) (h.itmLogit().floatValue() + (float) h.itc()), h.score(), 1e-6);
            if (r > 0) {
                assertTrue(hits.get(r - 1).score() >= h.score());
            }
        }
        assertTrue(hits.subList(8, 12).stream().allMatch(h -> h.itm() == null));
    }

    @Test
    void keptTokensReRankLikeTheFiles(@TempDir Path tmp) {
        List<Path> some = files.subList(0, 20);
        Path dir = tmp.resolve("index");
        new GalleryIndexer(model, IndexOptions.defaults().withKeepImageTokens(true)).build(dir, some, IndexListener.NONE);
        GalleryIndex kept = GalleryIndex.open(dir);
        assertTrue(kept.hasTokens(0));
        assertEquals(17 * 48, kept.tokens(0).length);
        Path plain = tmp.resolve("plain");
        new GalleryIndexer(model).build(plain, some, IndexListener.NONE);
        for (String q : QUERIES) {
            SearchOptions o = SearchOptions.defaults().withK(10).withRerank(10);
            assertSameHits(new ImageRetriever(model, GalleryIndex.open(plain)).search(q, o),
                    new ImageRetriever(model, kept).search(q, o));
        }
    }

    @Test
    void aMissingFileIsReportedAndTheRestStillSearched(@TempDir Path tmp) throws IOException {
        Path folder = tmp.resolve("images");
        GeneratedImages.write(folder, 30, 5);
        Path dir = tmp.resolve("index");
        new GalleryIndexer(model).build(dir, folder, IndexListener.NONE);
        ImageRetriever retriever = new ImageRetriever(model, GalleryIndex.open(dir));
        SearchOptions options = SearchOptions.defaults().withK(10).withRerank(5);
        SearchResult before = retriever.search("a cat", options);
        String gone = before.hits().get(2).path();
        Files.delete(Path.of(gone));
        SearchResult after = retriever.search("a cat", options);
        assertEquals(1, after.problems().size());
        assertTrue(after.problems().get(0).contains(gone), after.problems().get(0));
        assertEquals(10, after.hits().size());
        SearchHit missing = after.hits().stream().filter(h -> h.path().equals(gone)).findFirst().orElseThrow();
        assertNull(missing.itm());
        assertNotNull(missing.error());
        assertEquals(5, missing.rank(), "first after the 4 re-ranked, by ITC");
        assertTrue(after.hits().subList(0, 4).stream().allMatch(SearchHit::reranked));
        // the four others keep exactly their scores
        Map<String, Double> scores = new HashMap<>();
        before.hits().forEach(h -> scores.put(h.path(), h.score()));
        after.hits().subList(0, 4).forEach(h -> assertEquals(scores.get(h.path()), h.score(), 1e-6));
    }

    @Test
    void emptyAndLongTexts() {
        ImageRetriever retriever = new ImageRetriever(model, GalleryIndex.open(fresh));
        SearchResult empty = retriever.search("", SearchOptions.defaults().withK(5).withRerank(5));
        assertEquals(5, empty.hits().size());
        assertTrue(empty.hits().stream().allMatch(h -> h.itm() >= 0 && h.itm() <= 1));

        // 40 single-token words: the official tokenization keeps [CLS], the first 33, [SEP]
        String[] words = "a cat the bear red blue green dog room street".split(" ");
        StringBuilder longText = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            longText.append(i > 0 ? " " : "").append(words[i % words.length]);
        }
        String truncated = String.join(" ", java.util.Arrays.copyOf(longText.toString().split(" "), 33));
        long[] ids = dev.blip4j.models.matching.MatchingText.encode(model, List.of(longText.toString())).ids()[0];
        assertEquals(35, ids.length);
        assertEquals(model.tokenizer().sepId(), ids[34]);
        assertArrayEquals(ids, dev.blip4j.models.matching.MatchingText.encode(model, List.of(truncated)).ids()[0]);
        ImageTextMatcher matcher = new ImageTextMatcher(model);
        var image = model.readImage(files.get(0));
        assertEquals(matcher.match(image, truncated).itm(), matcher.match(image, longText.toString()).itm());
        assertEquals(matcher.match(image, truncated).itc(), matcher.match(image, longText.toString()).itc());
        String shorter = String.join(" ", java.util.Arrays.copyOf(longText.toString().split(" "), 32));
        assertTrue(matcher.match(image, shorter).itm() != matcher.match(image, longText.toString()).itm(),
                "the 33rd word still counts");
        SearchOptions o = SearchOptions.defaults().withRerank(10);
        assertSameHits(retriever.search(truncated, o), retriever.search(longText.toString(), o));
    }

    @Test
    void imageQueries() {
        GalleryIndex index = GalleryIndex.open(fresh);
        ImageRetriever retriever = new ImageRetriever(model, index);
        SearchResult similar = retriever.searchSimilar(model.readImage(files.get(42)), SearchOptions.defaults());
        assertEquals(key(files.get(42)), similar.hits().get(0).path());
        assertEquals(1.0, similar.hits().get(0).itc(), 1e-5);
        assertThrows(InputException.class,
                () -> retriever.searchSimilar(model.readImage(files.get(0)), SearchOptions.defaults().withRerank(3)));

        // image -> texts: the retrieval golden's image 0 against its captions, as evaluation()'s i2t (k_test = 2)
        Golden g = Golden.of("retrieval");
        TextRetriever texts = new TextRetriever(model, GoldenModels.captions(g));
        SearchResult r = texts.search(Golden.image(0), SearchOptions.defaults().withK(4).withRerank(2));
        float[] i2t = g.tensor("score_matrix_i2t").toFloatArray();
        float[] sims = g.tensor("itc_sim").toFloatArray();
        assertEquals(List.of(0, 2, 1, 3), r.hits().stream().map(SearchHit::index).toList());
        for (SearchHit h : r.hits()) {
            assertEquals(GoldenModels.captions(g).get(h.index()), h.text());
            assertNull(h.path());
            assertEquals(sims[h.index()], h.itc(), 1e-5);
            if (h.reranked()) {
                assertEquals(i2t[h.index()], h.score(), 1e-4);
            }
        }
    }

    @Test
    void anotherModelIsRefusedByName() {
        try (BlipModel itm = GoldenModels.load(Golden.of("itm"), Layout.HUGGINGFACE)) {
            GalleryIndex index = GalleryIndex.open(fresh);
            ModelIdentity built = ModelIdentity.of(model);
            assertEquals(built, index.model());
            InputException e = assertThrows(InputException.class, () -> new ImageRetriever(itm, index));
            assertTrue(e.getMessage().contains(built.weights()) && e.getMessage().contains(built.sha256().substring(0, 12)),
                    e.getMessage());
            assertTrue(e.getMessage().contains("itm"), e.getMessage());
            e = assertThrows(InputException.class,
                    () -> new GalleryIndexer(itm).add(fresh, files.subList(0, 1), IndexListener.NONE));
            assertTrue(e.getMessage().contains(built.weights()), e.getMessage());
        }
        try (BlipModel base = GoldenModels.load(Golden.of("feature_extractor"), Layout.HUGGINGFACE)) {
            ModelException e = assertThrows(ModelException.class, () -> new GalleryIndexer(base));
            assertTrue(e.getMessage().contains("vision_proj"), e.getMessage());
        }
    }

    /** A NaN embedding gave NaN scores that ranked anywhere; a damaged shard is refused when opened. */
    @Test
    void aShardWithANonFiniteEmbeddingIsRefusedAtOpen(@TempDir Path tmp) throws IOException {
        Path copy = tmp.resolve("index");
        try (var walk = Files.walk(fresh)) {
            for (Path p : walk.toList()) {
                Files.copy(p, copy.resolve(fresh.relativize(p).toString()));
            }
        }
        Path shard;
        try (var list = Files.list(copy.resolve("shards"))) {
            shard = list.sorted().findFirst().orElseThrow();
        }
        Map<String, TensorData> tensors = new java.util.LinkedHashMap<>(SafeTensors.read(shard).tensors());
        TensorData feat = tensors.get("image_feat");
        float[] values = feat.toFloatArray();
        values[(int) feat.shape()[1] + 3] = Float.NaN; // row 1
        tensors.put("image_feat", TensorData.ofFloats(feat.shape(), values));
        SafeTensors.write(shard, tensors, Map.of());
        InputException e = assertThrows(InputException.class, () -> GalleryIndex.open(copy));
        assertTrue(e.getMessage().startsWith(shard + ": row 1 (") && e.getMessage().endsWith(") holds NaN; the index is"
                + " damaged, rebuild it"), e.getMessage());
    }

    @Test
    void notAnIndex(@TempDir Path tmp) throws IOException {
        InputException e = assertThrows(InputException.class, () -> GalleryIndex.open(tmp));
        assertTrue(e.getMessage().contains("not a gallery index"), e.getMessage());
        Files.writeString(tmp.resolve("manifest.json"), "{\"format\": \"blip4j-gallery-index\", \"format_version\": 9}");
        e = assertThrows(InputException.class, () -> GalleryIndex.open(tmp));
        assertTrue(e.getMessage().contains("version 9"), e.getMessage());
        Files.writeString(tmp.resolve("manifest.json"), "{\"format\": \"blip4j-gallery-index\", \"format_version\": 1}");
        e = assertThrows(InputException.class, () -> GalleryIndex.open(tmp));
        assertTrue(e.getMessage().contains("manifest"), e.getMessage());
        Files.writeString(tmp.resolve("manifest.json"), "{\"format\": \"blip4j-gallery-index\"}");
        e = assertThrows(InputException.class, () -> GalleryIndex.open(tmp));
        assertEquals(tmp.resolve("manifest.json") + ": malformed index manifest (no format_version)", e.getMessage());
    }

    private static void assertSameIndex(GalleryIndex a, GalleryIndex b) {
        assertEquals(a.size(), b.size());
        assertEquals(a.model(), b.model());
        Map<String, Integer> at = new HashMap<>();
        for (int i = 0; i < b.size(); i++) {
            at.put(b.images().get(i).path(), i);
        }
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            IndexedImage x = a.images().get(i);
            Integer j = at.get(x.path());
            assertNotNull(j, x.path());
            IndexedImage y = b.images().get(j);
            assertEquals(List.of(x.bytes(), x.modifiedMillis(), (long) x.width(), (long) x.height()),
                    List.of(y.bytes(), y.modifiedMillis(), (long) y.width(), (long) y.height()));
            float[] ea = a.embedding(i);
            float[] eb = b.embedding(j);
            for (int d = 0; d < ea.length; d++) {
                max = Math.max(max, Math.abs(ea[d] - eb[d]));
            }
        }
        System.out.printf("resumed vs fresh index: max embedding difference %.3g%n", max);
        assertTrue(max <= 1e-6, "embeddings differ by " + max);
    }

    private static void assertSameSearches(GalleryIndex a, GalleryIndex b) {
        for (String q : QUERIES) {
            SearchOptions o = SearchOptions.defaults().withK(10).withRerank(5);
            assertSameHits(new ImageRetriever(model, a).search(q, o), new ImageRetriever(model, b).search(q, o));
        }
    }

    private static void assertSameHits(SearchResult a, SearchResult b) {
        assertEquals(a.hits().stream().map(SearchHit::path).toList(), b.hits().stream().map(SearchHit::path).toList());
        for (int i = 0; i < a.hits().size(); i++) {
            assertEquals(a.hits().get(i).score(), b.hits().get(i).score(), 1e-6);
            assertEquals(a.hits().get(i).itc(), b.hits().get(i).itc(), 1e-6);
        }
    }

    private static String key(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    private static int indexOf(GalleryIndex index, Path p) {
        for (int i = 0; i < index.size(); i++) {
            if (index.images().get(i).path().equals(key(p))) {
                return i;
            }
        }
        return -1;
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }
}
