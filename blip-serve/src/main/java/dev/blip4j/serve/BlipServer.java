package dev.blip4j.serve;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.blip4j.core.BlipException;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.image.ImageLoader;
import dev.blip4j.models.retrieval.GalleryIndex;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.serving.BlipService;
import dev.blip4j.models.serving.ServiceException;
import dev.blip4j.models.serving.ServiceListener;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code blip serve}: BLIP's tasks over HTTP, on Jetty 12's core handler API, each model behind a
 * {@link BlipService} that batches concurrent requests. The server listens at once and loads the
 * models after ({@code /health} answers from the start, {@code /ready} once the models are in).
 * {@link #close()} stops accepting, lets requests in flight finish for up to the drain time, then
 * closes the services and the models it loaded.
 */
public final class BlipServer implements AutoCloseable {

    /** A model to serve, by name: one the server loads (and closes), or one given loaded (left open). */
    public record ModelSource(String name, Supplier<BlipModel> loader, BlipModel loaded) {

        public static ModelSource load(String name, Supplier<BlipModel> loader) {
            return new ModelSource(name, loader, null);
        }

        public static ModelSource of(String name, BlipModel model) {
            return new ModelSource(name, null, model);
        }
    }

    /** An endpoint: method, path, and for POST its fields and task. */
    record Route(String method, String path, List<Field> fields, boolean open) {}

    static final List<Route> ROUTES = List.of(
            new Route("POST", "/v1/caption", Endpoints.CAPTION, false),
            new Route("POST", "/v1/itm", Endpoints.ITM, false),
            new Route("POST", "/v1/vqa", Endpoints.VQA, false),
            new Route("POST", "/v1/embeddings", Endpoints.EMBEDDINGS, false),
            new Route("POST", "/v1/search", Endpoints.SEARCH, false),
            new Route("GET", "/health", List.of(), true),
            new Route("GET", "/ready", List.of(), false),
            new Route("GET", "/metrics", List.of(), false),
            new Route("GET", "/openapi.json", List.of(), false));

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    private static final String JSON = "application/json";

    private enum State { LOADING, READY, STOPPING, FAILED }

    private final ServeOptions options;
    private final Server server;
    private final ServerConnector connector;
    private final Metrics metrics = new Metrics();
    private final ApiKeys keys;
    private final RequestReader reader;
    private final ImageSources images;
    private final String openApi;
    private final List<ServedModel> served = new ArrayList<>();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    private final Thread loader;
    private volatile State state = State.LOADING;
    private volatile String failure;
    private volatile Endpoints endpoints;

    private BlipServer(ServeOptions options, List<ModelSource> models) {
        if (models.isEmpty()) {
            throw new InputException("blip serve needs at least one --model");
        }
        this.options = options;
        this.keys = options.apiKeyFile() == null ? null : ApiKeys.read(options.apiKeyFile());
        this.reader = new RequestReader(options.maxBodyBytes());
        this.images = new ImageSources(ImageLoader.builder().maxPixels(options.maxPixels()).build(),
                options.maxBodyBytes(), options.allowUrlImages(), Math.max(2, Runtime.getRuntime().availableProcessors()));
        this.openApi = OpenApi.document(ROUTES);
        QueuedThreadPool threads = new QueuedThreadPool(options.httpThreads(), 4);
        threads.setName("blip-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(options.host());
        connector.setPort(options.port());
        // A request may wait for its batch up to the service's deadline without a byte moving; the
        // connection must not time out first (Jetty would fail the request, which cancels its work).
        connector.setIdleTimeout(options.service().timeout().toMillis() + 30_000);
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(new Api()));
        server.setStopTimeout(Math.max(1, options.drain().toMillis()));
        metrics.gauge("blip_ready", "1 when every model is loaded and the server is not stopping",
                () -> state == State.READY ? 1.0 : 0.0);
        this.loader = new Thread(() -> load(models), "blip-serve-load");
        loader.setDaemon(true);
    }

    /** Binds and starts answering, then loads the models in the background (see {@link #loaded()}). */
    public static BlipServer start(ServeOptions options, List<ModelSource> models) throws Exception {
        BlipServer s = new BlipServer(options, models);
        s.server.start();
        s.loader.start();
        return s;
    }

    /** The port bound (the one asked for, or the free one picked for 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Completes when every model is loaded and served; fails with the loading error. */
    public CompletableFuture<Void> loaded() {
        return loaded;
    }

    public boolean ready() {
        return state == State.READY;
    }

    private void load(List<ModelSource> sources) {
        try {
            for (ModelSource source : sources) {
                long start = System.nanoTime();
                BlipModel model = source.loaded() != null ? source.loaded() : source.loader().get();
                double seconds = (System.nanoTime() - start) / 1e9;
                String name = source.name();
                ServiceListener batches = new ServiceListener() {
                    @Override
                    public void onBatch(Stage stage, int size, int requests) {
                        metrics.observe("blip_batch_size", "images per ViT pass (encode), rows per decoder step (decode)",
                                Metrics.BATCH, size, "model", name, "stage", stage.name().toLowerCase(Locale.ROOT));
                    }
                };
                BlipService service = new BlipService(model, options.service(), batches);
                synchronized (served) {
                    served.add(new ServedModel(name, model, service, source.loaded() == null, seconds));
                }
                metrics.gauge("blip_model_load_seconds", "time to load each model", () -> seconds, "model", name);
                metrics.gauge("blip_queue_depth", "requests waiting to start, per model",
                        () -> (double) service.queueDepth(), "model", name);
                metrics.gauge("blip_decoding_requests", "requests decoding together now, per model",
                        () -> (double) service.decoding(), "model", name);
            }
            ImageRetriever retriever = null;
            ServedModel searchModel = null;
            if (options.index() != null) {
                GalleryIndex index = GalleryIndex.open(options.index());
                BlipException refused = null;
                for (ServedModel m : served) {
                    if (!m.embeds()) {
                        continue;
                    }
                    try {
                        retriever = new ImageRetriever(m.model(), index);
                        searchModel = m;
                        break;
                    } catch (BlipException e) {
                        refused = refused == null ? e : refused;
                    }
                }
                if (retriever == null) {
                    throw refused != null ? refused : new InputException("--index " + options.index()
                            + " needs a model with the ITC projections (the one that built the index)");
                }
            }
            endpoints = new Endpoints(List.copyOf(served), images, retriever, searchModel);
            if (state == State.LOADING) {
                state = State.READY;
            }
            loaded.complete(null);
        } catch (RuntimeException | Error e) {
            failure = e.getMessage();
            state = State.FAILED;
            loaded.completeExceptionally(e);
        }
    }

    // ---- HTTP -----------------------------------------------------------------------------------

    private final class Api extends Handler.Abstract {

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            long start = System.nanoTime();
            String path = Request.getPathInContext(request);
            Route route = ROUTES.stream().filter(r -> r.path().equals(path)).findFirst().orElse(null);
            String endpoint = route == null ? "other" : route.path();
            boolean read = false;
            try {
                if (route == null) {
                    throw new HttpError(404, "no endpoint " + path + " (GET /openapi.json lists them)");
                }
                if (!route.method().equals(request.getMethod())) {
                    response.getHeaders().put(HttpHeader.ALLOW, route.method());
                    throw new HttpError(405, path + " takes " + route.method() + ", not " + request.getMethod());
                }
                if (!route.open() && keys != null && !keys.accepts(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
                    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
                    throw new HttpError(401, "this server needs 'Authorization: Bearer <key>' with a key it knows");
                }
                if (route.method().equals("GET")) {
                    get(route, request, response, callback, start);
                    return true;
                }
                Endpoints tasks = available(response);
                read = true;
                RequestFields fields = reader.read(request, route.fields());
                CompletableFuture<Object> result = task(route, tasks).apply(fields);
                // A request waits for its batch without a byte moving: an idle timeout (Jetty shortens
                // them to a second while stopping) must not fail it; the service's deadline bounds it.
                request.addIdleTimeoutListener(timeout -> result.isDone());
                request.addFailureListener(t -> result.cancel(true));
                result.whenComplete((body, error) -> {
                    if (error == null) {
                        send(response, callback, endpoint, start, 200, JSON, GSON.toJson(body));
                    } else {
                        fail(response, callback, endpoint, start, error);
                    }
                });
            } catch (RuntimeException | Error e) {
                if (!read && request.getLength() != 0 && !RequestReader.drain(request)) {
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                }
                fail(response, callback, endpoint, start, e);
            }
            return true;
        }
    }

    private Function<RequestFields, CompletableFuture<Object>> task(Route route, Endpoints tasks) {
        return switch (route.path()) {
            case "/v1/caption" -> tasks::caption;
            case "/v1/itm" -> tasks::itm;
            case "/v1/vqa" -> tasks::vqa;
            case "/v1/embeddings" -> tasks::embeddings;
            case "/v1/search" -> tasks::search;
            default -> throw new IllegalStateException(route.path());
        };
    }

    private Endpoints available(Response response) {
        State s = state;
        if (s == State.READY) {
            return endpoints;
        }
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        throw new HttpError(503, switch (s) {
            case LOADING -> "the models are still loading";
            case STOPPING -> "the server is stopping";
            default -> "the models could not be loaded: " + failure;
        });
    }

    private void get(Route route, Request request, Response response, Callback callback, long start) {
        switch (route.path()) {
            case "/health" -> send(response, callback, route.path(), start, 200, JSON, "{\"status\":\"ok\"}");
            case "/ready" -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("ready", state == State.READY);
                body.put("status", state.name().toLowerCase(Locale.ROOT));
                if (state == State.FAILED) {
                    body.put("error", failure);
                }
                List<Map<String, Object>> models = new ArrayList<>();
                synchronized (served) {
                    for (ServedModel m : served) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("name", m.name());
                        row.put("kinds", m.model().network().config().kinds().stream()
                                .map(k -> k.name().toLowerCase(Locale.ROOT)).sorted().toList());
                        row.put("load_seconds", Math.round(m.loadSeconds() * 1000) / 1000.0);
                        models.add(row);
                    }
                }
                body.put("models", models);
                send(response, callback, route.path(), start, state == State.READY ? 200 : 503, JSON, GSON.toJson(body));
            }
            case "/metrics" -> send(response, callback, route.path(), start, 200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.scrape());
            case "/openapi.json" -> send(response, callback, route.path(), start, 200, JSON, openApi);
            default -> throw new IllegalStateException(route.path());
        }
    }

    private void fail(Response response, Callback callback, String endpoint, long start, Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        int status;
        String message = e.getMessage();
        if (e instanceof HttpError h) {
            status = h.status();
            if (status == 413) {
                // the rest of the body was never read: this connection cannot carry another request
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
        } else if (e instanceof ServiceException s) {
            status = s.reason() == ServiceException.Reason.DEADLINE ? 504 : 503;
            if (s.reason() == ServiceException.Reason.QUEUE_FULL) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            }
        } else if (e instanceof InputException) {
            status = 400;
        } else if (e instanceof CancellationException) {
            status = 503;
            message = "the request was cancelled";
        } else if (e instanceof BlipException) {
            status = 500;
        } else {
            status = 500;
            message = "internal error: " + e;
        }
        send(response, callback, endpoint, start, status, JSON, GSON.toJson(Map.of("error", String.valueOf(message))));
    }

    private void send(Response response, Callback callback, String endpoint, long start, int status, String type,
            String body) {
        String code = Integer.toString(status);
        metrics.inc("blip_http_requests_total", "HTTP requests by endpoint and status code", "endpoint", endpoint,
                "code", code);
        if (status >= 400) {
            metrics.inc("blip_http_errors_total", "HTTP requests answered with an error, by endpoint and status code",
                    "endpoint", endpoint, "code", code);
        }
        metrics.observe("blip_http_request_duration_seconds", "time from a request's arrival to its answer",
                Metrics.LATENCY, (System.nanoTime() - start) / 1e9, "endpoint", endpoint);
        try {
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
            Content.Sink.write(response, true, body, callback);
        } catch (RuntimeException e) {
            callback.failed(e);
        }
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    /**
     * Stops accepting, lets requests in flight finish for up to the drain time, then closes every
     * service (failing what is left) and the models the server loaded.
     */
    @Override
    public void close() {
        state = State.STOPPING;
        try {
            server.stop();
        } catch (Exception e) {
            // the listener is gone either way; what follows releases the models
        }
        try {
            loader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ServedModel> models;
        synchronized (served) {
            models = List.copyOf(served);
        }
        for (ServedModel m : models) {
            m.service().close(options.drain());
        }
        for (ServedModel m : models) {
            if (m.owned()) {
                m.model().close();
            }
        }
    }
}
