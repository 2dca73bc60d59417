package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import dev.blip4j.models.serving.ServiceOptions;
import dev.blip4j.serve.BlipServer;
import dev.blip4j.serve.ServeOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve captioning, matching, VQA, embeddings and search over HTTP, batching concurrent requests.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH_OR_ID",
            description = "a model to serve (repeat for several; each request goes to the first that can do its task)")
    List<String> models;

    @Mixin
    LoadOptions load;

    @Option(names = "--index", paramLabel = "DIR", description = "a gallery index for /v1/search")
    Path index;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "address to bind (default: ${DEFAULT-VALUE}, loopback only)")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "(default: ${DEFAULT-VALUE}; 0 for any free port)")
    int port;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "8",
            description = "images per ViT pass and requests decoding together (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--max-wait-ms", paramLabel = "N", defaultValue = "5",
            description = "how long an idle model waits for more images to batch (default: ${DEFAULT-VALUE})")
    long maxWaitMs;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "64",
            description = "requests waiting per model; more get 503 with Retry-After (default: ${DEFAULT-VALUE})")
    int maxQueue;

    @Option(names = "--timeout-ms", paramLabel = "N", defaultValue = "60000",
            description = "a request's deadline, queueing included; past it 504 (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--http-threads", paramLabel = "N", defaultValue = "32",
            description = "threads reading requests and decoding images (default: ${DEFAULT-VALUE})")
    int httpThreads;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "keys, one per line: every endpoint but /health then needs 'Authorization: Bearer <key>'")
    Path apiKeyFile;

    @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "20971520",
            description = "largest request body (default: ${DEFAULT-VALUE}, 20 MiB)")
    long maxBodyBytes;

    @Option(names = "--max-pixels", paramLabel = "N",
            description = "largest image, width x height, checked before decoding (default: the image loader's, Pillow's limit)")
    Long maxPixels;

    @Option(names = "--allow-url-images", description = "let an 'image' field be an http(s) URL that the server fetches")
    boolean allowUrlImages;

    @Option(names = "--drain-seconds", paramLabel = "N", defaultValue = "30",
            description = "on SIGTERM, how long requests in flight may finish (default: ${DEFAULT-VALUE})")
    long drainSeconds;

    @Option(names = "--verbose", description = "show stack traces with errors")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ServeOptions options = options();
        load.applyThreads(); // --threads, a loading option of every command that loads a model
        PrintWriter err = spec.commandLine().getErr();
        List<BlipServer.ModelSource> sources = models.stream()
                .map(m -> BlipServer.ModelSource.load(m, () -> load.load(m))).toList();
        BlipServer server = BlipServer.start(options, sources);
        err.printf(Locale.ROOT, "blip serve: listening on http://%s:%d, loading %d model%s%n", options.host(),
                server.port(), sources.size(), sources.size() == 1 ? "" : "s");
        err.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM and Ctrl-C: stop accepting, let requests in flight finish, then exit 0. The JVM runs
        // this hook on the signal; halting at its end sets the exit status the signal would not.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (stopped.getCount() == 0) {
                return;
            }
            System.err.println("blip serve: stopping (requests in flight get up to " + drainSeconds + " s)");
            server.close();
            System.err.println("blip serve: stopped");
            System.err.flush();
            Runtime.getRuntime().halt(0);
        }, "blip-serve-stop"));
        try {
            server.loaded().get();
        } catch (ExecutionException e) {
            stopped.countDown();
            server.close();
            throw e.getCause() instanceof Exception x ? x : e;
        }
        err.println("blip serve: ready (" + String.join(", ", models) + ")");
        err.flush();
        new CountDownLatch(1).await();
        return 0;
    }

    private ServeOptions options() {
        try {
            ServiceOptions service = new ServiceOptions(maxBatch, Duration.ofMillis(maxWaitMs), maxQueue,
                    Duration.ofMillis(timeoutMs));
            ServeOptions o = ServeOptions.defaults().withHost(host).withPort(port).withService(service)
                    .withMaxBodyBytes(maxBodyBytes).withApiKeyFile(apiKeyFile).withAllowUrlImages(allowUrlImages)
                    .withIndex(index).withDrain(Duration.ofSeconds(drainSeconds)).withHttpThreads(httpThreads);
            if (maxQueue < 1) {
                throw new InputException("--max-queue must be at least 1, got " + maxQueue);
            }
            return maxPixels == null ? o : o.withMaxPixels(maxPixels);
        } catch (InputException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }
}
