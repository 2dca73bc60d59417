package dev.blip4j.capfilt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.capfilt.CandidateRow.Source;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.testing.Golden;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-machine run: output files, bad samples recorded without stopping, images over HTTP,
 * and resuming an interrupted run to byte-identical outputs.
 */
class CapFiltRunTest {

    static BlipModel captioner;
    static BlipModel filter;
    static HttpServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        captioner = CapFiltFixtures.captioner(Layout.HUGGINGFACE);
        filter = CapFiltFixtures.filter("retrieval", Layout.HUGGINGFACE);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] png = Files.readAllBytes(Golden.image(1));
        server.createContext("/", exchange -> {
            boolean found = exchange.getRequestURI().getPath().equals("/image1.png");
            byte[] body = found ? png : "no".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(found ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterAll
    static void tearDown() {
        server.stop(0);
        captioner.close();
        filter.close();
    }

    static String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** 9 samples: good pairs, images only, a blank text, a missing file, bad JSON, two URLs, a pax shard. */
    Path dataset() throws IOException {
        Path in = Files.createDirectories(dir.resolve("in/b"));
        Files.copy(Golden.image(0), dir.resolve("in/image0.png"));
        Files.copy(Golden.image(2), dir.resolve("in/image2.png"));
        List<String> captions = CapFiltFixtures.captions();
        Files.write(dir.resolve("in/a.jsonl"), List.of(
                "{\"image\": \"image0.png\", \"text\": \"" + captions.get(0) + "\", \"lang\": \"en\"}",
                "{\"id\": \"only-image\", \"image\": \"image2.png\"}",
                "{\"image\": \"image2.png\", \"text\": \"  \"}",
                "{\"image\": \"missing.png\", \"text\": \"a cat\"}",
                "{\"image\": \"image0.png\", \"text\": ",
                "{\"image\": \"" + url("/image1.png") + "\", \"text\": \"" + captions.get(1) + "\"}",
                "{\"image\": \"" + url("/gone.png") + "\", \"text\": \"a cat\"}"), StandardCharsets.UTF_8);
        Files.copy(TarReaderTest.resource("webdataset-pax.tar"), in.resolve("00000.tar"));
        return dir.resolve("in");
    }

    static CapFiltOptions options() {
        return CapFiltOptions.defaults().withNumCaptions(2).withBatchSize(2);
    }

    @Test
    void runWritesEveryCandidateAndResumesToTheSameBytes() throws IOException {
        Path in = dataset();
        Path whole = dir.resolve("whole");
        CapFiltRun run = new CapFiltRun(captioner, filter, options());
        List<long[]> commits = new ArrayList<>();
        CapFiltRun.Result r = run.run(List.of(in), whole, new CapFiltListener() {
            @Override
            public void committed(long done, long total, int batch) {
                commits.add(new long[] {done, total, batch});
            }
        });
        assertTrue(r.complete());
        assertEquals(9, r.samples());
        assertEquals(9, r.processed());
        assertEquals(List.of("2/9/2", "4/9/2", "6/9/2", "8/9/2", "9/9/1"),
                commits.stream().map(c -> c[0] + "/" + c[1] + "/" + c[2]).toList());

        List<String> all = Files.readAllLines(whole.resolve(CapFiltRun.ALL));
        List<CandidateRow> rows = all.stream().map(CandidateRow::fromJson).toList();
        // a.jsonl (7 samples) comes before b/00000.tar: 3 + 2 + 3 + 1 + 1 + 3 + 1 + 3 + 3 rows
        assertEquals(20, rows.size());
        assertEquals("{\"key\":\"a.jsonl:1\",\"image\":\"image0.png\",\"text\":\"a cat\",\"source\":\"web\",\"itm\":",
                all.get(0).substring(0, all.get(0).indexOf("\"itm\":") + 6));
        assertTrue(all.get(0).endsWith(",\"lang\":\"en\"}"), all.get(0));
        assertEquals(List.of(Source.WEB, Source.SYNTHETIC, Source.SYNTHETIC, Source.SYNTHETIC, Source.SYNTHETIC),
                rows.subList(0, 5).stream().map(CandidateRow::source).toList());
        assertEquals("only-image", rows.get(3).key());
        assertEquals("empty text", rows.get(5).error());
        assertNull(rows.get(5).itm());
        assertFalse(rows.get(5).kept());
        assertTrue(rows.get(8).error().contains("missing.png"), rows.get(8).error());
        assertEquals("a.jsonl:4", rows.get(8).key());
        assertTrue(rows.get(9).error().startsWith("a.jsonl:5: not valid JSON"), rows.get(9).error());
        CandidateRow overHttp = rows.get(10);
        assertEquals(url("/image1.png"), overHttp.image());
        assertNull(overHttp.error());
        float[] probs = Golden.of("retrieval").tensor("itm_probs").toFloatArray();
        assertEquals(probs[4 + 1], overHttp.itm(), 1e-5, "the downloaded image scores as the golden pair");
        assertEquals(probs[0], rows.get(0).itm(), 1e-5);
        assertEquals(url("/gone.png") + ": HTTP 404", rows.get(13).error());
        assertEquals("café/0001", rows.get(14).key());
        assertEquals(in.resolve("b/00000.tar") + "#café/0001.png", rows.get(14).image());
        assertEquals("Café au lait", rows.get(14).text());
        for (CandidateRow row : rows) {
            assertEquals(row.error() == null, row.itm() != null, row.toJson());
            if (row.itm() != null) {
                assertEquals(row.itm() >= 0.5, row.kept(), row.toJson());
            }
        }

        List<String> kept = Files.readAllLines(whole.resolve(CapFiltRun.KEPT));
        assertEquals(all.stream().filter(l -> CandidateRow.fromJson(l).kept()).toList(), kept);
        assertTrue(kept.size() > 0 && kept.size() < all.size());

        JsonObject report = JsonParser.parseString(Files.readString(whole.resolve(CapFiltReport.JSON))).getAsJsonObject();
        JsonObject counts = report.getAsJsonObject("counts");
        for (Source s : Source.values()) {
            JsonObject c = counts.getAsJsonObject(s.label());
            List<CandidateRow> of = rows.stream().filter(x -> x.source() == s).toList();
            assertEquals(of.size(), c.get("in").getAsLong(), s.label());
            assertEquals(of.stream().filter(CandidateRow::kept).count(), c.get("kept").getAsLong(), s.label());
            assertEquals(of.stream().filter(x -> x.error() != null).count(), c.get("errors").getAsLong(), s.label());
            assertEquals((double) c.get("kept").getAsLong() / of.size(), c.get("keep_ratio").getAsDouble(), 1e-12);
            long histogram = 0;
            for (var v : report.getAsJsonObject("histograms").getAsJsonObject("itm").getAsJsonArray(s.label())) {
                histogram += v.getAsLong();
            }
            assertEquals(c.get("scored").getAsLong(), histogram);
        }
        assertEquals(4, counts.getAsJsonObject("web").get("errors").getAsLong(),
                "blank text, missing file, bad JSON, HTTP 404");
        assertEquals(0.5, report.getAsJsonObject("run").getAsJsonObject("options").get("threshold").getAsDouble());
        String html = Files.readString(whole.resolve(CapFiltReport.HTML));
        assertTrue(html.contains("<svg") && html.contains("threshold 0.5"), "histograms drawn");
        long thumbnails = html.split("data:image/jpeg;base64,", -1).length - 1;
        JsonObject examples = report.getAsJsonObject("examples");
        int shown = examples.getAsJsonArray("kept").size() + examples.getAsJsonArray("removed").size();
        // every kept and removed example shows its image; an error row of a readable image may too
        assertTrue(shown > 0 && thumbnails >= shown && thumbnails <= shown + examples.getAsJsonArray("errors").size(),
                thumbnails + " thumbnails for " + shown + " examples");
        for (String list : List.of("kept", "removed", "errors")) {
            for (var e : examples.getAsJsonArray(list)) {
                var text = e.getAsJsonObject().get("text");
                if (!text.isJsonNull()) {
                    assertTrue(html.contains(CapFiltReport.escape(text.getAsString())), list + ": " + text);
                }
            }
        }
        assertTrue(html.contains(url("/gone.png") + ": HTTP 404"), "errors shown");

        // the same run interrupted after its second commit, with a torn write after it, then resumed
        Path resumed = dir.resolve("resumed");
        RuntimeException stop = assertThrows(RuntimeException.class, () -> run.run(List.of(in), resumed,
                new CapFiltListener() {
                    @Override
                    public void committed(long done, long total, int batch) {
                        if (done >= 4) {
                            throw new RuntimeException("simulated crash after " + done);
                        }
                    }
                }));
        assertEquals("simulated crash after 4", stop.getMessage());
        assertFalse(Files.exists(resumed.resolve(CapFiltReport.JSON)));
        long committed = Files.size(resumed.resolve(CapFiltRun.ALL));
        assertEquals(all.subList(0, 9), Files.readAllLines(resumed.resolve(CapFiltRun.ALL)),
                "4 samples committed: their 9 rows");
        Files.writeString(resumed.resolve(CapFiltRun.ALL), "{\"key\":\"torn", StandardOpenOption.APPEND);
        long[] started = new long[2];
        CapFiltRun.Result second = new CapFiltRun(captioner, filter, options()).run(List.of(in), resumed,
                new CapFiltListener() {
                    @Override
                    public void started(long total, long done) {
                        started[0] = total;
                        started[1] = done;
                    }
                });
        assertArrayEquals(new long[] {9, 4}, started);
        assertTrue(second.complete());
        assertEquals(5, second.processed());
        assertTrue(committed > 0);
        for (String f : List.of(CapFiltRun.ALL, CapFiltRun.KEPT, CapFiltReport.JSON, CapFiltReport.HTML)) {
            assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(resumed.resolve(f)), f);
        }
        // a finished run run again changes nothing
        CapFiltRun.Result again = run.run(List.of(in), resumed, null);
        assertTrue(again.complete());
        assertEquals(0, again.processed());
        assertArrayEquals(Files.readAllBytes(whole.resolve(CapFiltRun.ALL)),
                Files.readAllBytes(resumed.resolve(CapFiltRun.ALL)));
    }

    @Test
    void stopAfterContinuesLaterAndOtherSettingsAreRefused() throws IOException {
        Path jsonl = CapFiltFixtures.goldenPairs(dir.resolve("pairs"));
        List<String> lines = Files.readAllLines(jsonl).subList(0, 5);
        Files.write(jsonl, lines);
        Path out = dir.resolve("out");
        CapFiltOptions options = CapFiltOptions.defaults().withBatchSize(2);
        CapFiltRun.Result first = new CapFiltRun(captioner, filter, options).run(List.of(jsonl), out, null, 1);
        assertFalse(first.complete());
        assertEquals(2, first.processed(), "stops at the first commit at or past the limit");
        assertNull(first.summary());

        InputException other = assertThrows(InputException.class, () -> new CapFiltRun(captioner, filter,
                options.withThreshold(0.7)).run(List.of(jsonl), out, null));
        assertTrue(other.getMessage().contains("holds a CapFilt run with other options"), other.getMessage());
        InputException otherModel = assertThrows(InputException.class, () -> {
            try (BlipModel itm = CapFiltFixtures.filter("itm", Layout.HUGGINGFACE)) {
                new CapFiltRun(captioner, itm, options).run(List.of(jsonl), out, null);
            }
        });
        assertTrue(otherModel.getMessage().contains("other filter model"), otherModel.getMessage());

        // the batch size is not part of a run's identity: continue with another one
        CapFiltRun.Result rest = new CapFiltRun(captioner, filter, options.withBatchSize(3)).run(List.of(jsonl), out,
                null);
        assertTrue(rest.complete());
        assertEquals(3, rest.processed());
        assertEquals(5 * 2, Files.readAllLines(out.resolve(CapFiltRun.ALL)).size());
        assertEquals(5 * 2, rest.summary().candidates(Source.WEB) + rest.summary().candidates(Source.SYNTHETIC));

        // an edited input is noticed at the resume point
        Path edited = dir.resolve("edited");
        new CapFiltRun(captioner, filter, options).run(List.of(jsonl), edited, null, 2);
        Files.write(jsonl, List.of(lines.get(1), lines.get(0), lines.get(2)));
        InputException changed = assertThrows(InputException.class,
                () -> new CapFiltRun(captioner, filter, options).run(List.of(jsonl), edited, null));
        assertTrue(changed.getMessage().contains("the inputs changed"), changed.getMessage());

        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve(CapFiltRun.ALL), "{}\n");
        InputException notOurs = assertThrows(InputException.class,
                () -> new CapFiltRun(captioner, filter, options).run(List.of(jsonl), foreign, null));
        assertTrue(notOurs.getMessage().contains("no CapFilt run state"), notOurs.getMessage());
        assertEquals("{}\n", Files.readString(foreign.resolve(CapFiltRun.ALL)), "left untouched");
    }

    static String join(List<String> lines) {
        return lines.stream().collect(Collectors.joining("\n"));
    }
}
