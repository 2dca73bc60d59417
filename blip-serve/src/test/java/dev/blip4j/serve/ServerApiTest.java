package dev.blip4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.serving.ServiceOptions;
import dev.blip4j.models.retrieval.GalleryIndex;
import dev.blip4j.models.retrieval.GalleryIndexer;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.retrieval.IndexListener;
import dev.blip4j.models.retrieval.SearchHit;
import dev.blip4j.models.retrieval.SearchOptions;
import dev.blip4j.models.testing.Golden;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the server promises besides answers: the API described, keys, metrics, loading, URLs, a graceful stop. */
class ServerApiTest {

    private static final long MINUTES = 5;

    private static BlipModel caption;
    private static BlipModel itm;

    @BeforeAll
    static void load() {
        caption = BlipModel.load(Golden.of("caption").hf());
        itm = BlipModel.load(Golden.of("itm").hf());
    }

    @AfterAll
    static void close() {
        caption.close();
        itm.close();
    }

    private static BlipServer start(ServeOptions options) throws Exception {
        BlipServer server = BlipServer.start(options.withPort(0), List.of(BlipServer.ModelSource.of("caption", caption),
                BlipServer.ModelSource.of("itm", itm)));
        server.loaded().get(MINUTES, TimeUnit.MINUTES);
        return server;
    }

    @Test
    void everyEndpointAndEveryFieldIsInTheOpenApiDocument() throws Exception {
        try (BlipServer server = start(ServeOptions.defaults())) {
            Http.Answer a = new Http(server.port()).send(Http.Call.get("/openapi.json"));
            assertEquals(200, a.status());
            JsonObject doc = a.json().getAsJsonObject();
            assertEquals("3.0.3", doc.get("openapi").getAsString());
            JsonObject paths = doc.getAsJsonObject("paths");
            Set<String> documented = new HashSet<>();
            for (BlipServer.Route r : BlipServer.ROUTES) {
                JsonObject item = paths.getAsJsonObject(r.path());
                assertNotNull(item, r.path() + " is not in openapi.json");
                JsonObject op = item.getAsJsonObject(r.method().toLowerCase(Locale.ROOT));
                assertNotNull(op, r.method() + " " + r.path() + " is not in openapi.json");
                assertTrue(op.getAsJsonObject("responses").has("200"), r.path());
                documented.add(r.path());
                if (r.method().equals("POST")) {
                    JsonObject props = op.getAsJsonObject("requestBody").getAsJsonObject("content")
                            .getAsJsonObject("application/json").getAsJsonObject("schema").getAsJsonObject("properties");
                    assertEquals(r.fields().stream().map(Field::name).toList(), new ArrayList<>(props.keySet()),
                            r.path() + ": documented fields");
                }
            }
            assertEquals(documented, paths.keySet(), "openapi.json documents an endpoint the server lacks");
        }
    }

    @Test
    void withAnApiKeyFileEveryEndpointButHealthNeedsTheKey(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys.txt");
        Files.writeString(keys, "# clients\nsecret-one\n\n  secret-two  \n", StandardCharsets.UTF_8);
        try (BlipServer server = start(ServeOptions.defaults().withApiKeyFile(keys))) {
            Http http = new Http(server.port());
            assertEquals(200, http.send(Http.Call.get("/health")).status());
            String body = "{\"image\": \"" + ServerRequests.base64(0) + "\", \"texts\": [\"a cat\"]}";
            for (BlipServer.Route r : BlipServer.ROUTES) {
                if (r.open()) {
                    continue;
                }
                Http.Call call = r.method().equals("GET") ? Http.Call.get(r.path()) : Http.Call.json(r.path(), body);
                for (Http.Call c : List.of(call, call.withHeader("Authorization", "Bearer secret-three"),
                        call.withHeader("Authorization", "Basic c2VjcmV0LW9uZQ=="),
                        call.withHeader("Authorization", "Bearer secret-on"))) {
                    Http.Answer a = http.send(c);
                    assertEquals(401, a.status(), r.path() + " " + c.headers());
                    assertTrue(a.error().contains("Authorization: Bearer"), a.error());
                }
                Http.Answer ok = http.send(call.withHeader("Authorization", "Bearer secret-two"));
                assertTrue(ok.status() != 401, r.path() + " refused the right key: " + ok.body());
            }
            Http.Answer matched = http.send(Http.Call.json("/v1/itm", body).withHeader("Authorization", "Bearer secret-one"));
            assertEquals(200, matched.status(), matched.body());
        }
    }

    @Test
    void metricsCountRequestsErrorsLatencyBatchesQueueAndLoadTime() throws Exception {
        try (BlipServer server = start(ServeOptions.defaults())) {
            Http http = new Http(server.port());
            assertEquals(200, http.send(Http.Call.raw("/v1/caption", "image/png", ServerRequests.png(1))).status());
            assertEquals(400, http.send(Http.Call.json("/v1/caption", "{}")).status());
            assertEquals(404, http.send(Http.Call.get("/favicon.ico")).status());
            Http.Answer m = http.send(Http.Call.get("/metrics"));
            assertEquals(200, m.status());
            assertTrue(m.contentType().startsWith("text/plain; version=0.0.4"), m.contentType());
            String text = m.body();
            for (String line : List.of(
                    "blip_http_requests_total{endpoint=\"/v1/caption\",code=\"200\"} 1",
                    "blip_http_requests_total{endpoint=\"/v1/caption\",code=\"400\"} 1",
                    "blip_http_errors_total{endpoint=\"/v1/caption\",code=\"400\"} 1",
                    "blip_http_requests_total{endpoint=\"other\",code=\"404\"} 1",
                    "blip_http_request_duration_seconds_count{endpoint=\"/v1/caption\"} 2",
                    "blip_batch_size_count{model=\"caption\",stage=\"encode\"} 1",
                    "blip_queue_depth{model=\"caption\"} 0",
                    "blip_decoding_requests{model=\"caption\"} 0",
                    "blip_ready 1",
                    "# TYPE blip_http_request_duration_seconds histogram")) {
                assertTrue(text.lines().anyMatch(l -> l.equals(line)), "missing metric line: " + line + "\n" + text);
            }
            assertTrue(text.contains("blip_model_load_seconds{model=\"itm\"}"), text);
            assertTrue(text.contains("blip_batch_size_bucket{model=\"caption\",stage=\"decode\",le=\"+Inf\"}"), text);
        }
    }

    @Test
    void healthAnswersWhileModelsLoadAndTasksWaitForReady() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BlipServer server = BlipServer.start(ServeOptions.defaults().withPort(0), List.of(
                BlipServer.ModelSource.load("slow", () -> {
                    try {
                        release.await(MINUTES, TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return BlipModel.load(Golden.of("caption").hf());
                })));
        try (server) {
            Http http = new Http(server.port());
            assertEquals(200, http.send(Http.Call.get("/health")).status());
            Http.Answer ready = http.send(Http.Call.get("/ready"));
            assertEquals(503, ready.status());
            assertEquals("loading", ready.json().getAsJsonObject().get("status").getAsString());
            Http.Answer early = http.send(Http.Call.raw("/v1/caption", "image/png", ServerRequests.png(0)));
            assertEquals(503, early.status());
            assertEquals("1", early.retryAfter());
            assertTrue(early.error().contains("still loading"), early.error());
            release.countDown();
            server.loaded().get(MINUTES, TimeUnit.MINUTES);
            assertEquals(200, http.send(Http.Call.get("/ready")).status());
            assertEquals(200, http.send(Http.Call.raw("/v1/caption", "image/png", ServerRequests.png(0))).status());
        }
    }

    @Test
    void urlImagesAreFetchedOnlyWhenAllowed() throws Exception {
        HttpServer files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] png = ServerRequests.png(2);
        files.createContext("/image2.png", x -> {
            x.sendResponseHeaders(200, png.length);
            x.getResponseBody().write(png);
            x.close();
        });
        files.start();
        try {
            String url = "http://127.0.0.1:" + files.getAddress().getPort() + "/image2.png";
            String body = "{\"image\": \"" + url + "\"}";
            try (BlipServer closed = start(ServeOptions.defaults())) {
                Http.Answer a = new Http(closed.port()).send(Http.Call.json("/v1/caption", body));
                assertEquals(400, a.status());
                assertTrue(a.error().contains("--allow-url-images"), a.error());
            }
            try (BlipServer open = start(ServeOptions.defaults().withAllowUrlImages(true))) {
                Http http = new Http(open.port());
                Http.Answer a = http.send(Http.Call.json("/v1/caption", body));
                assertEquals(200, a.status(), a.body());
                String direct = new Captioner(caption).caption(caption.readImage(Golden.image(2))).get(0).text();
                assertEquals(direct, a.json().getAsJsonObject().get("caption").getAsString());
                Http.Answer missing = http.send(Http.Call.json("/v1/caption", "{\"image\": \"" + url.replace("image2", "gone")
                        + "\"}"));
                assertEquals(400, missing.status());
                assertTrue(missing.error().contains("HTTP 404"), missing.error());
            }
        } finally {
            files.stop(0);
        }
    }

    @Test
    void searchAnswersWhatTheRetrieverAnswers(@TempDir Path dir) throws Exception {
        Path index = dir.resolve("index");
        new GalleryIndexer(itm).build(index, Golden.root().resolve("images"), IndexListener.NONE);
        ImageRetriever direct = new ImageRetriever(itm, GalleryIndex.open(index));
        try (BlipServer server = start(ServeOptions.defaults().withIndex(index))) {
            Http http = new Http(server.port());
            Http.Answer a = http.send(Http.Call.json("/v1/search", "{\"text\": \"four bears\", \"k\": 3, \"rerank\": 2}"));
            assertEquals(200, a.status(), a.body());
            List<SearchHit> want = direct.search("four bears", SearchOptions.defaults().withK(3).withRerank(2)).hits();
            com.google.gson.JsonArray hits = a.json().getAsJsonObject().getAsJsonArray("hits");
            assertEquals(want.size(), hits.size());
            for (int i = 0; i < want.size(); i++) {
                JsonObject h = hits.get(i).getAsJsonObject();
                assertEquals(want.get(i).rank(), h.get("rank").getAsInt());
                assertEquals(want.get(i).path(), h.get("path").getAsString());
                assertEquals(want.get(i).score(), h.get("score").getAsDouble(), ServerRequests.TOLERANCE);
                assertEquals(want.get(i).itm() == null, h.get("itm").isJsonNull(), "re-ranked hits carry itm");
            }
            Http.Answer similar = http.send(Http.Call.raw("/v1/search?k=2", "image/png", ServerRequests.png(1)));
            assertEquals(200, similar.status(), similar.body());
            assertEquals(direct.searchSimilar(itm.readImage(Golden.image(1)), SearchOptions.defaults().withK(2)).hits()
                    .get(0).path(), similar.json().getAsJsonObject().getAsJsonArray("hits").get(0).getAsJsonObject()
                    .get("path").getAsString());
            Http.Answer both = http.send(Http.Call.json("/v1/search", "{\"text\": \"a\", \"image\": \""
                    + ServerRequests.base64(0) + "\"}"));
            assertEquals(400, both.status());
            assertTrue(both.error().contains("exactly one of 'text' and 'image'"), both.error());
        }
    }

    @Test
    void closingLetsRequestsInFlightFinishThenStopsListening() throws Exception {
        CaptionOptions slow = CaptionOptions.defaults().withGeneration(
                GenerationConfig.defaults().withNumBeams(3).withLengths(29, 30));
        String want = new Captioner(caption, slow).caption(caption.readImage(Golden.image(1))).get(0).text();
        BlipServer server = start(ServeOptions.defaults().withService(ServiceOptions.defaults().withMaxBatch(1))
                .withDrain(Duration.ofMinutes(1)));
        Http http = new Http(server.port());
        Http.Call call = Http.Call.raw("/v1/caption?max_length=30&min_length=29", "image/png", ServerRequests.png(1));
        List<CompletableFuture<Http.Answer>> inFlight = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            inFlight.add(CompletableFuture.supplyAsync(() -> http.send(call)));
        }
        // wait until the server holds them all: one decoding, three queued
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline && !http.send(Http.Call.get("/metrics")).body()
                .contains("blip_queue_depth{model=\"caption\"} 3")) {
            Thread.sleep(5);
        }
        server.close();
        for (CompletableFuture<Http.Answer> f : inFlight) {
            Http.Answer a = f.get(MINUTES, TimeUnit.MINUTES);
            assertEquals(200, a.status(), a.body());
            assertEquals(want, JsonParser.parseString(a.body()).getAsJsonObject().get("caption").getAsString());
        }
        assertFalse(server.ready());
        boolean refused;
        try {
            http.send(Http.Call.get("/health"));
            refused = false;
        } catch (IllegalStateException e) {
            refused = true;
        }
        assertTrue(refused, "a closed server still answers");
    }
}
