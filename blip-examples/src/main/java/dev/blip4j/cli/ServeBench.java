package dev.blip4j.cli;

import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.serving.BlipService;
import dev.blip4j.models.serving.ServiceListener;
import dev.blip4j.models.serving.ServiceOptions;
import dev.blip4j.serve.BlipServer;
import dev.blip4j.serve.ServeOptions;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;

/**
 * {@code blip bench --serve}: captions through {@code blip serve} on loopback with N concurrent
 * clients, against the same captions as sequential single calls and as one offline batch, in one
 * run on one model. Every served caption's token ids are checked against the single call's.
 */
final class ServeBench {

    /** One way of producing the captions: throughput and per-caption latency. */
    record Row(String mode, int clients, int captions, double seconds, double p50Ms, double p95Ms) {

        double throughput() {
            return captions / seconds;
        }
    }

    private final BlipModel model;
    private final GenerationConfig generation;
    private final List<RgbImage> images;

    ServeBench(BlipModel model, GenerationConfig generation, List<RgbImage> images) {
        this.model = model;
        this.generation = generation;
        this.images = images;
    }

    Map<String, Object> run(List<Integer> clientCounts, int requests, int maxBatch) throws Exception {
        CaptionOptions options = CaptionOptions.defaults().withGeneration(generation).withBatchSize(requests);
        Captioner captioner = new Captioner(model, options);
        List<RgbImage> work = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            work.add(images.get(i % images.size()));
        }
        // The direct modes run on a service's model thread, as the served ones do. On an oversubscribed
        // machine OpenMP's spinning workers made the same tiny caption take from 0.2 s to 10 s depending
        // on the Java thread that ran it (OMP_WAIT_POLICY=PASSIVE evens it out); one kind of thread for
        // every mode keeps them comparable.
        List<Row> rows = new ArrayList<>();
        List<long[]> single = new ArrayList<>();
        int batchAgrees;
        try (BlipService thread = new BlipService(model, ServiceOptions.defaults().withTimeout(Duration.ofHours(1)),
                ServiceListener.NONE)) {
            batchAgrees = thread.run(m -> direct(captioner, work, rows, single)).get();
        }

        List<byte[]> pngs = work.stream().map(ServeBench::png).toList();
        String query = "?beams=" + generation.numBeams() + "&max_length=" + generation.maxLength() + "&min_length="
                + generation.minLength();
        ServeOptions serve = ServeOptions.defaults().withPort(0)
                .withService(ServiceOptions.defaults().withMaxBatch(maxBatch).withMaxQueue(Math.max(64, requests))
                        .withTimeout(Duration.ofHours(1)));
        int servedAgree = 0;
        int served = 0;
        try (BlipServer server = BlipServer.start(serve, List.of(BlipServer.ModelSource.of("bench", model)))) {
            server.loaded().get();
            HttpClient http = HttpClient.newBuilder().build();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/caption" + query);
            for (int clients : clientCounts) {
                // An untimed round first, as the direct modes are warmed up: the first batches of a
                // size pay for fresh memory pages and oneDNN primitives (8 clients cold: 7.3 to 8.4 s
                // in one probe, then 6.0 s round after round).
                round(http, uri, pngs, clients, new double[requests], new String[requests]);
                double[] latency = new double[requests];
                String[] answers = new String[requests];
                long start = System.nanoTime();
                round(http, uri, pngs, clients, latency, answers);
                rows.add(row("served, " + clients + (clients == 1 ? " client" : " clients"), clients, latency, start));
                for (int i = 0; i < requests; i++) {
                    long[] ids = Json.GSON.fromJson(com.google.gson.JsonParser.parseString(answers[i]).getAsJsonObject()
                            .get("token_ids"), long[].class);
                    servedAgree += Arrays.equals(single.get(i), ids) ? 1 : 0;
                    served++;
                }
            }
        }

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("requests", requests);
        report.put("max_batch", maxBatch);
        report.put("generation", generation.numBeams() > 1 ? "beam " + generation.numBeams() : "greedy");
        double sequential = rows.get(0).throughput();
        double offline = rows.get(1).throughput();
        List<Map<String, Object>> table = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mode", r.mode());
            m.put("clients", r.clients());
            m.put("captions_per_s", round(r.throughput(), 4));
            m.put("p50_ms", round(r.p50Ms(), 1));
            m.put("p95_ms", round(r.p95Ms(), 1));
            m.put("vs_sequential", round(r.throughput() / sequential, 2));
            m.put("vs_offline_batch", round(r.throughput() / offline, 2));
            table.add(m);
        }
        report.put("rows", table);
        report.put("offline_batch_token_ids_equal", batchAgrees + "/" + requests);
        report.put("served_token_ids_equal", servedAgree + "/" + served);
        return report;
    }

    /** Every image once, from {@code clients} concurrent clients; each one's latency and response body. */
    private static void round(HttpClient http, URI uri, List<byte[]> pngs, int clients, double[] latency,
            String[] answers) throws Exception {
        int requests = pngs.size();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    for (int i = client; i < requests; i += clients) {
                        long t = System.nanoTime();
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofHours(1)).header("Content-Type", "image/png")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(pngs.get(i))).build(),
                                HttpResponse.BodyHandlers.ofString());
                        latency[i] = (System.nanoTime() - t) / 1e6;
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("served caption " + i + ": HTTP " + r.statusCode()
                                    + " " + r.body());
                        }
                        answers[i] = r.body();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Sequential single calls, then one offline batch; returns how many batch captions equal the single ones. */
    private static int direct(Captioner captioner, List<RgbImage> work, List<Row> rows, List<long[]> single) {
        int requests = work.size();
        captioner.caption(work.get(0)); // warm-up
        double[] ms = new double[requests];
        long start = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            long t = System.nanoTime();
            single.add(captioner.caption(work.get(i)).get(0).tokenIds());
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        rows.add(row("sequential single calls", 1, ms, start));
        // Warmed up as the single calls are: a first batch also pays for its shapes' first use
        // (oneDNN primitives for 8 images' rows, the process's first pages of that size).
        captioner.caption(work);
        start = System.nanoTime();
        List<List<Caption>> batch = captioner.caption(work);
        double batchMs = (System.nanoTime() - start) / 1e6;
        double[] same = new double[requests];
        Arrays.fill(same, batchMs);
        rows.add(row("offline batch " + requests, 1, same, start));
        int agree = 0;
        for (int i = 0; i < requests; i++) {
            agree += Arrays.equals(single.get(i), batch.get(i).get(0).tokenIds()) ? 1 : 0;
        }
        return agree;
    }

    private static Row row(String mode, int clients, double[] ms, long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return new Row(mode, clients, ms.length, seconds, percentile(sorted, 0.5), percentile(sorted, 0.95));
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static byte[] png(RgbImage image) {
        BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        byte[] px = image.pixels();
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                int i = (y * image.width() + x) * 3;
                b.setRGB(x, y, (px[i] & 0xff) << 16 | (px[i + 1] & 0xff) << 8 | (px[i + 2] & 0xff));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(b, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static void print(java.io.PrintWriter out, Map<String, Object> report) {
        out.printf("%-26s %8s %14s %10s %10s %14s %16s%n", "mode", "clients", "captions/s", "p50 ms", "p95 ms",
                "x sequential", "x offline batch");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) report.get("rows");
        for (Map<String, Object> r : rows) {
            out.printf("%-26s %8s %14s %10s %10s %14s %16s%n", r.get("mode"), r.get("clients"), r.get("captions_per_s"),
                    r.get("p50_ms"), r.get("p95_ms"), r.get("vs_sequential"), r.get("vs_offline_batch"));
        }
        out.println("token ids equal to the single calls: offline batch " + report.get("offline_batch_token_ids_equal")
                + ", served " + report.get("served_token_ids_equal"));
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
