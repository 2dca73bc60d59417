package dev.blip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.core.generate.GenerationConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blip serve} from the outside: usage and model errors, and a SIGTERM that lets requests in flight finish. */
class ServeCommandTest {

    @Test
    void withoutAModelItIsBadUsageAndABadModelExits3() {
        CliRun none = CliRun.of("serve");
        assertEquals(BlipCli.EXIT_USAGE, none.exit(), none.toString());
        assertTrue(none.err().contains("--model"), none.toString());
        CliRun zero = CliRun.of("serve", "--model", CliRun.golden("caption/hf").toString(), "--max-batch", "0");
        assertEquals(BlipCli.EXIT_USAGE, zero.exit(), zero.toString());
        assertTrue(zero.err().contains("max batch must be at least 1"), zero.toString());
        CliRun missing = CliRun.of("serve", "--model", "/no/such/model/dir", "--port", "0");
        assertEquals(BlipCli.EXIT_MODEL, missing.exit(), missing.toString());
        assertFalse(missing.hasStackTrace(), missing.toString());
        assertTrue(missing.errLines().stream().anyMatch(l -> l.startsWith("error: ") && l.contains("/no/such/model/dir")),
                missing.toString());
    }

    @Test
    void sigtermLetsRequestsInFlightFinishAndExits0(@TempDir Path dir) throws Exception {
        Path model = CliRun.golden("caption/hf");
        byte[] png = Files.readAllBytes(CliRun.golden("images/image1.png"));
        String want;
        try (BlipModel m = BlipModel.load(model)) {
            want = new Captioner(m, CaptionOptions.defaults().withGeneration(GenerationConfig.defaults()
                    .withNumBeams(3).withLengths(19, 20))).caption(m.readImage(CliRun.golden("images/image1.png")))
                    .get(0).text();
        }
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "dev.blip4j.cli.BlipCli", "serve", "--model",
                model.toString(), "--port", "0", "--max-batch", "1", "--threads", "1").redirectErrorStream(true)
                .redirectOutput(dir.resolve("serve.log").toFile()).start();
        try {
            long started = System.nanoTime();
            while (!log(dir).contains("blip serve: ready")) {
                assertTrue(p.isAlive() && System.nanoTime() - started < TimeUnit.MINUTES.toNanos(2),
                        "serve is not ready: " + log(dir));
                Thread.sleep(20);
            }
            Matcher m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)").matcher(log(dir));
            assertTrue(m.find(), log(dir));
            int port = Integer.parseInt(m.group(1));
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port;
            HttpRequest caption = HttpRequest.newBuilder(URI.create(base + "/v1/caption?max_length=20&min_length=19"))
                    .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build();
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int n = 0; n < 2; n++) {
                inFlight.add(client.sendAsync(caption, HttpResponse.BodyHandlers.ofString()));
            }
            HttpRequest metrics = HttpRequest.newBuilder(URI.create(base + "/metrics")).build();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (System.nanoTime() < deadline && !client.send(metrics, HttpResponse.BodyHandlers.ofString()).body()
                    .contains("blip_queue_depth{model=\"" + model + "\"} 1")) {
                Thread.sleep(5);
            }
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "serve did not stop after SIGTERM");
            assertEquals(0, p.exitValue(), log(dir));
            for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                HttpResponse<String> r = f.get(1, TimeUnit.MINUTES);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(want, JsonParser.parseString(r.body()).getAsJsonObject().get("caption").getAsString());
            }
            assertTrue(log(dir).contains("blip serve: stopped"), log(dir));
        } finally {
            p.destroyForcibly();
        }
    }

    private static String log(Path dir) throws java.io.IOException {
        return Files.readString(dir.resolve("serve.log"), StandardCharsets.UTF_8);
    }
}
