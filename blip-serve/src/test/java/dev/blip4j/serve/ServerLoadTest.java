package dev.blip4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.serving.ServiceOptions;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.serve.ServerRequests.Expected;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server under load, on loopback, bounded in requests: 16 clients x 25 mixed requests all get
 * the direct call's answer; an overloaded server (queue 4, 32 clients) answers only 200 or 503 and
 * then carries on; hostile requests interleaved with good ones get named 4xx errors and cost no
 * good request its answer.
 */
class ServerLoadTest {

    /** A deadlock guard, not a performance bound. */
    private static final long MINUTES = 5;

    private static BlipModel caption;
    private static BlipModel itm;
    private static BlipModel vqa;
    private static List<Expected> catalogue;

    @BeforeAll
    static void load() {
        caption = BlipModel.load(Golden.of("caption").hf());
        itm = BlipModel.load(Golden.of("itm").hf());
        vqa = BlipModel.load(Golden.of("vqa").hf());
        catalogue = ServerRequests.all(caption, itm, vqa);
    }

    @AfterAll
    static void close() {
        for (BlipModel m : new BlipModel[] {caption, itm, vqa}) {
            if (m != null) {
                m.close();
            }
        }
    }

    static BlipServer start(ServeOptions options) throws Exception {
        BlipServer server = BlipServer.start(options.withPort(0), List.of(
                BlipServer.ModelSource.of("caption", caption), BlipServer.ModelSource.of("itm", itm),
                BlipServer.ModelSource.of("vqa", vqa)));
        server.loaded().get(MINUTES, TimeUnit.MINUTES);
        return server;
    }

    private static ServeOptions withWindow() {
        return ServeOptions.defaults().withService(ServiceOptions.defaults().withMaxWait(Duration.ofMillis(10))
                .withMaxQueue(1000));
    }

    @Test
    void sixteenClientsTimes25MixedRequestsGetTheDirectAnswers() throws Exception {
        int clients = 16;
        int each = 25;
        try (BlipServer server = start(withWindow())) {
            Http http = new Http(server.port());
            List<Future<Integer>> done = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                CountDownLatch go = new CountDownLatch(1);
                for (int c = 0; c < clients; c++) {
                    Random random = new Random(c);
                    done.add(pool.submit(() -> {
                        go.await();
                        for (int n = 0; n < each; n++) {
                            Expected e = catalogue.get(random.nextInt(catalogue.size()));
                            Http.Answer a = http.send(e.call());
                            assertEquals(200, a.status(), e.name() + ": " + a.body());
                            ServerRequests.assertSameAnswer(e.name(), e.answer(), a.json());
                        }
                        return each;
                    }));
                }
                go.countDown();
                int answered = 0;
                for (Future<Integer> f : done) {
                    answered += f.get(MINUTES, TimeUnit.MINUTES);
                }
                assertEquals(clients * each, answered);
            } finally {
                pool.shutdownNow();
            }
            String metrics = http.send(Http.Call.get("/metrics")).body();
            long ok = metrics.lines().filter(l -> l.startsWith("blip_http_requests_total{") && l.contains("code=\"200\""))
                    .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
            assertEquals(clients * each, ok, "requests counted by /metrics");
            System.out.printf("%d clients x %d mixed requests: all 200 and equal to the direct calls%n", clients, each);
        }
    }

    @Test
    void anOverloadedServerAnswersOnly200Or503ThenCarriesOn() throws Exception {
        ServeOptions options = ServeOptions.defaults().withService(ServiceOptions.defaults().withMaxBatch(1)
                .withMaxWait(Duration.ZERO).withMaxQueue(4));
        List<Expected> captions = catalogue.stream().filter(e -> e.name().startsWith("caption")).toList();
        try (BlipServer server = start(options)) {
            Http http = new Http(server.port());
            int clients = 32;
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    Expected e = captions.get(c % captions.size());
                    done.add(pool.submit(() -> {
                        go.await();
                        for (int n = 0; n < 2; n++) {
                            Http.Answer a = http.send(e.call());
                            statuses.computeIfAbsent(a.status(), s -> new AtomicInteger()).incrementAndGet();
                            if (a.status() == 200) {
                                ServerRequests.assertSameAnswer(e.name(), e.answer(), a.json());
                            } else {
                                assertEquals(503, a.status(), e.name() + ": " + a.body());
                                assertEquals("1", a.retryAfter(), "503 without Retry-After");
                                assertTrue(a.error().contains("queue is full"), a.error());
                            }
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : done) {
                    f.get(MINUTES, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
            System.out.println("overload, queue 4, 32 clients x 2: statuses " + statuses);
            assertEquals(java.util.Set.of(200, 503), statuses.keySet(), "only 200 and 503, both");
            for (Expected e : captions) {
                Http.Answer a = http.send(e.call());
                assertEquals(200, a.status(), e.name() + " after the overload: " + a.body());
                ServerRequests.assertSameAnswer(e.name(), e.answer(), a.json());
            }
        }
    }

    /** A bad request, the status it must get and a piece of the message that names the problem. */
    private record Bad(String name, Http.Call call, int status, String says) {}

    @Test
    void hostileRequestsGetNamedErrorsAndNoGoodRequestIsLost() throws Exception {
        String b64 = ServerRequests.base64(0);
        byte[] bomb = pngHeader(100_000, 100_000);
        List<Bad> bad = List.of(
                new Bad("truncated JSON", Http.Call.json("/v1/itm", "{\"image\": "), 400, "malformed JSON"),
                new Bad("JSON array", Http.Call.json("/v1/itm", "[1, 2]"), 400, "must be an object"),
                new Bad("not UTF-8", Http.Call.raw("/v1/itm", "application/json", new byte[] {'{', '"', (byte) 0xff, '"'}),
                        400, "not UTF-8"),
                new Bad("deep nesting", Http.Call.json("/v1/itm", "{\"texts\": " + "[".repeat(200) + "]".repeat(200) + "}"),
                        400, "malformed JSON"),
                new Bad("texts not an array", Http.Call.json("/v1/itm", "{\"image\": \"" + b64 + "\", \"texts\": \"a cat\"}"),
                        400, "field 'texts' must be an array of strings"),
                new Bad("texts of numbers", Http.Call.json("/v1/itm", "{\"image\": \"" + b64 + "\", \"texts\": [1]}"),
                        400, "field 'texts' must be an array of strings"),
                new Bad("beams as text", Http.Call.json("/v1/caption", "{\"image\": \"" + b64 + "\", \"beams\": \"three\"}"),
                        400, "field 'beams' must be an integer"),
                new Bad("beams fractional", Http.Call.json("/v1/caption", "{\"image\": \"" + b64 + "\", \"beams\": 1.5}"),
                        400, "field 'beams' must be an integer"),
                new Bad("unknown field", Http.Call.json("/v1/caption", "{\"image\": \"" + b64 + "\", \"colour\": 1}"),
                        400, "unknown field 'colour'"),
                new Bad("empty texts", Http.Call.json("/v1/itm", "{\"image\": \"" + b64 + "\", \"texts\": []}"),
                        400, "field 'texts' is empty"),
                new Bad("blank text", Http.Call.json("/v1/itm", "{\"image\": \"" + b64 + "\", \"texts\": [\"a\", \" \"]}"),
                        400, "texts[1] is empty"),
                new Bad("too many texts", Http.Call.json("/v1/itm", "{\"image\": \"" + b64 + "\", \"texts\": ["
                        + "\"a\",".repeat(300) + "\"a\"]}"), 400, "at most 256"),
                new Bad("no image", Http.Call.json("/v1/caption", "{\"beams\": 2}"), 400, "missing field 'image'"),
                new Bad("bad base64", Http.Call.json("/v1/caption", "{\"image\": \"!!not base64!!\"}"), 400,
                        "not valid base64"),
                new Bad("not an image", Http.Call.json("/v1/caption", "{\"image\": \""
                        + Base64.getEncoder().encodeToString("hello, world".getBytes(StandardCharsets.UTF_8)) + "\"}"),
                        400, "field 'image'"),
                new Bad("decompression bomb", Http.Call.raw("/v1/caption", "image/png", bomb), 400,
                        "10000000000 pixels exceeds the limit"),
                new Bad("URL image", Http.Call.json("/v1/caption", "{\"image\": \"http://127.0.0.1:9/x.png\"}"), 400,
                        "--allow-url-images"),
                new Bad("data URL without base64", Http.Call.json("/v1/caption", "{\"image\": \"data:image/png,abc\"}"),
                        400, "data URL"),
                new Bad("body too large", Http.Call.raw("/v1/caption", "image/png", new byte[3 << 20]), 413,
                        "--max-body-bytes"),
                new Bad("text/plain", Http.Call.raw("/v1/itm", "text/plain", "a cat".getBytes(StandardCharsets.UTF_8)),
                        415, "unsupported content type"),
                new Bad("image body to embeddings", Http.Call.raw("/v1/embeddings", "image/png", ServerRequests.png(0)),
                        415, "not an image body"),
                new Bad("form without boundary", Http.Call.raw("/v1/caption", "multipart/form-data", new byte[] {1, 2}),
                        400, "boundary"),
                new Bad("max length out of range", Http.Call.json("/v1/caption", "{\"image\": \"" + b64
                        + "\", \"max_length\": 100000}"), 400, "field 'max_length' must be between"),
                new Bad("min over max", Http.Call.json("/v1/caption", "{\"image\": \"" + b64
                        + "\", \"min_length\": 15, \"max_length\": 10}"), 400, "min length"),
                new Bad("prompt past the positions", Http.Call.json("/v1/caption", "{\"image\": \"" + b64
                        + "\", \"prompt\": \"" + "word ".repeat(600) + "\"}"), 400, "prompt"),
                new Bad("duplicate answers", Http.Call.json("/v1/vqa", "{\"image\": \"" + b64
                        + "\", \"question\": \"what?\", \"answers\": [\"red\", \"red\"]}"), 400, "answers"),
                new Bad("first token", Http.Call.json("/v1/itm", "{\"image\": \"" + b64
                        + "\", \"texts\": [\"a\"], \"first_token\": \"sep\"}"), 400, "cls or enc"),
                new Bad("field twice", new Http.Call("POST", "/v1/caption?beams=2", "application/json",
                        ("{\"image\": \"" + b64 + "\", \"beams\": 2}").getBytes(StandardCharsets.UTF_8), Map.of()),
                        400, "given twice"),
                new Bad("no search index", Http.Call.json("/v1/search", "{\"text\": \"a dog\"}"), 404, "--index"),
                new Bad("unknown endpoint", Http.Call.json("/v1/nothing", "{}"), 404, "no endpoint /v1/nothing"),
                new Bad("GET on a POST endpoint", Http.Call.get("/v1/caption"), 405, "takes POST"));
        ServeOptions options = withWindow().withMaxBodyBytes(2 << 20);
        try (BlipServer server = start(options)) {
            Http http = new Http(server.port());
            int clients = 8;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            AtomicInteger good = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int client = c;
                    done.add(pool.submit(() -> {
                        for (int n = 0; n < bad.size(); n++) {
                            Bad b = bad.get((n + client * 5) % bad.size());
                            Http.Answer a = http.send(b.call());
                            assertEquals(b.status(), a.status(), b.name() + ": " + a.body());
                            assertTrue(a.contentType().startsWith("application/json"), b.name() + ": " + a.contentType());
                            assertTrue(a.error().contains(b.says()), b.name() + ": '" + a.error() + "' does not say '"
                                    + b.says() + "'");
                            refused.incrementAndGet();
                            if (n % 3 == 0) {
                                Expected e = catalogue.get((n + client) % catalogue.size());
                                Http.Answer ok = http.send(e.call());
                                assertEquals(200, ok.status(), e.name() + " between hostile requests: " + ok.body());
                                ServerRequests.assertSameAnswer(e.name(), e.answer(), ok.json());
                                good.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(MINUTES, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
            System.out.printf("hostile phase: %d bad requests refused by name, %d good ones answered right%n",
                    refused.get(), good.get());
            assertTrue(server.ready());
        }
    }

    /** A PNG that is only a header announcing {@code width x height} pixels: what a decompression bomb starts with. */
    static byte[] pngHeader(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        byte[] ihdr = new byte[13];
        java.nio.ByteBuffer.wrap(ihdr).putInt(width).putInt(height).put((byte) 8).put((byte) 2);
        chunk(out, "IHDR", ihdr);
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
