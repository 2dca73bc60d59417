package dev.blip4j.models.hub;

import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Talks to the hub over HTTP with the JDK's client, the way huggingface_hub's
 * {@code get_hf_file_metadata} and {@code http_get} do: a HEAD on {@code /<repo>/resolve/<rev>/<file>}
 * (redirects on the same host followed, the redirect of an LFS file to its CDN host not: its headers
 * describe the file), then a GET of
 * the bytes that resumes with {@code Range} after a cut connection.
 */
final class HubClient {

    /** Attempts without a single new byte before a download gives up (huggingface_hub: 5). */
    static final int MAX_STALLED_ATTEMPTS = 5;
    private static final int MAX_REDIRECTS = 10;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** huggingface_hub's HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT defaults. */
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    private static final String USER_AGENT = "blip4j/0.1.0; java/" + System.getProperty("java.version");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "blip4j-download-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** A HEAD answer: the file, or its absence (with the commit, when the hub named one). */
    record Head(RemoteFile file, String missingAtCommit) {
        boolean exists() {
            return file != null;
        }
    }

    private final HubSettings settings;
    private final URI endpoint;
    private final HttpClient http;

    HubClient(HubSettings settings) {
        this.settings = settings;
        this.endpoint = URI.create(settings.endpoint() + "/");
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    /** {@code <endpoint>/<org>/<name>/resolve/<revision>/<file>}, the revision quoted whole. */
    URI resolveUrl(ModelId id, String revision, String file) {
        String rev = URLEncoder.encode(revision, StandardCharsets.UTF_8).replace("+", "%20");
        StringBuilder path = new StringBuilder();
        for (String part : file.split("/")) {
            if (path.length() > 0) {
                path.append('/');
            }
            path.append(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return URI.create(settings.endpoint() + "/" + id.org() + "/" + id.name() + "/resolve/" + rev + "/" + path);
    }

    /**
     * What the hub says about {@code file} at {@code revision}.
     *
     * @throws IOException when the hub cannot be reached or answers with a server error: the caller
     *     may fall back to the cache, as huggingface_hub does
     * @throws ModelException when the hub answers that the repository or revision does not exist,
     *     or refuses access
     */
    Head head(ModelId id, String revision, String file) throws IOException {
        URI url = resolveUrl(id, revision, file);
        for (int redirects = 0; ; redirects++) {
            HttpRequest.Builder request = request(url).timeout(HEAD_TIMEOUT)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody());
            HttpResponse<Void> response = send(request.build(), HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            HttpHeaders h = response.headers();
            Optional<String> location = h.firstValue("Location");
            boolean redirect = status >= 300 && status < 400 && location.isPresent();
            if (redirect && sameHost(url, url.resolve(location.get()))) {
                if (redirects >= MAX_REDIRECTS) {
                    throw new ModelException(id + ": too many redirects resolving " + file);
                }
                url = url.resolve(location.get());
                continue; // a renamed repository, still on the hub: keep asking
            }
            if (status == 404 || status == 401 || status == 403) {
                return absent(id, revision, file, status, h);
            }
            if (status >= 500 || status == 429 || status == 408) {
                throw new IOException(settings.endpoint() + " answered HTTP " + status + " for " + url);
            }
            if (!(status >= 200 && status < 300) && !redirect) {
                throw new ModelException(id + ": the hub answered HTTP " + status + " for " + file + " (" + url + ")");
            }
            String commit = h.firstValue("X-Repo-Commit").orElse(null);
            if (commit == null) {
                throw new ModelException(url + ": the answer has no X-Repo-Commit header: " + settings.endpoint()
                        + " does not look like a HuggingFace hub (check HF_ENDPOINT, proxies and firewalls)");
            }
            String etag = normalizeEtag(h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(null));
            if (etag == null || etag.isEmpty()) {
                throw new ModelException(url + ": the hub sent no ETag for " + file + "; cannot cache it reliably");
            }
            Long size = parseLong(h.firstValue("X-Linked-Size").orElse(null));
            if (size == null && !redirect) {
                size = parseLong(h.firstValue("Content-Length").orElse(null));
            }
            if (size == null) {
                throw new ModelException(url + ": the hub sent no size (Content-Length) for " + file);
            }
            URI from = redirect ? url.resolve(location.get()) : url;
            return new Head(new RemoteFile(file, commit, etag, size, from), null);
        }
    }

    private Head absent(ModelId id, String revision, String file, int status, HttpHeaders h) {
        String code = h.firstValue("X-Error-Code").orElse("");
        String where = id.repoId() + " on " + settings.endpoint();
        switch (code) {
            case "RevisionNotFound":
                throw new ModelException(where + ": no revision '" + revision + "'");
            case "RepoNotFound":
                throw new ModelException(where + ": repository not found (a private or gated repository needs HF_TOKEN)");
            case "GatedRepo":
                throw new ModelException(where + ": gated repository: accept its conditions on the hub and set HF_TOKEN");
            default:
                if (status == 404) {
                    return new Head(null, h.firstValue("X-Repo-Commit").filter(ModelId::isCommitHash).orElse(null));
                }
                throw new ModelException(where + ": access refused (HTTP " + status + ") for " + file
                        + (settings.token() == null ? "; set HF_TOKEN for a private or gated repository"
                                : "; check that HF_TOKEN grants access"));
        }
    }

    /**
     * Downloads {@code file} into {@code incomplete}, continuing from what it already holds.
     * Returns when the file has its announced size; a connection cut mid-file is resumed with a
     * range request, and the download gives up after {@link #MAX_STALLED_ATTEMPTS} attempts that
     * brought nothing (leaving the partial file for the next run to resume).
     */
    void download(RemoteFile file, Path incomplete, DownloadProgress progress) throws IOException {
        Files.createDirectories(incomplete.getParent());
        if (!Files.exists(incomplete)) {
            Files.createFile(incomplete);
        }
        long have = Files.size(incomplete);
        if (have > file.size()) {
            truncate(incomplete, 0);
            have = 0;
        }
        DownloadProgress.Transfer transfer = progress.start(file.file(), file.size(), have);
        int stalled = 0;
        try {
            while (have < file.size()) {
                IOException failure = null;
                try {
                    fetch(file, incomplete, have, transfer);
                } catch (IOException e) {
                    failure = e;
                }
                long now = Files.size(incomplete);
                stalled = now > have ? 0 : stalled + 1;
                have = now;
                if (have >= file.size()) {
                    break;
                }
                if (stalled >= MAX_STALLED_ATTEMPTS) {
                    throw new IOException("download of " + file.file() + " from " + file.location() + " failed after "
                            + MAX_STALLED_ATTEMPTS + " attempts without progress ("
                            + (failure == null ? "the server sent less than announced" : failure.getMessage())
                            + "); " + have + " of " + file.size() + " bytes are kept in " + incomplete
                            + " and the next attempt resumes from there", failure);
                }
                if (stalled > 0) {
                    sleep(200L * stalled);
                }
            }
        } finally {
            transfer.end();
        }
    }

    /** One GET from {@code have} on, appending to {@code target}. */
    private void fetch(RemoteFile file, Path target, long have, DownloadProgress.Transfer transfer) throws IOException {
        URI url = file.location();
        for (int redirects = 0; ; redirects++) {
            HttpRequest.Builder request = request(url).timeout(READ_TIMEOUT).GET();
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> response = send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            Optional<String> location = response.headers().firstValue("Location");
            if (status >= 300 && status < 400 && location.isPresent()) {
                response.body().close();
                if (redirects >= MAX_REDIRECTS) {
                    throw new ModelException(file.file() + ": too many redirects from " + file.location());
                }
                url = url.resolve(location.get());
                continue;
            }
            try (InputStream body = response.body()) {
                long start;
                if (status == 200) {
                    start = 0; // the whole file, also when we asked for a range (as some CDNs do)
                    if (have > 0) {
                        transfer.restart();
                    }
                } else if (status == 206) {
                    Matcher m = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
                    start = m.matches() ? Long.parseLong(m.group(1)) : -1;
                    if (start != have) {
                        truncate(target, 0);
                        transfer.restart();
                        throw new IOException("the server answered a range request from " + have + " with "
                                + response.headers().firstValue("Content-Range").orElse("no Content-Range"));
                    }
                } else if (status == 416 && have == file.size()) {
                    return;
                } else if (status >= 500 || status == 429 || status == 408 || status == 416) {
                    if (status == 416) {
                        truncate(target, 0);
                        transfer.restart();
                    }
                    throw new IOException("HTTP " + status + " downloading " + file.file() + " from " + url);
                } else {
                    throw new ModelException(file.file() + ": HTTP " + status + " downloading " + url);
                }
                copy(body, target, start, file, transfer);
            }
            return;
        }
    }

    /** Appends the body at {@code start}, cutting the stream if it stalls for {@link #READ_TIMEOUT}. */
    private static void copy(InputStream body, Path target, long start, RemoteFile file,
            DownloadProgress.Transfer transfer) throws IOException {
        AtomicLong lastByte = new AtomicLong(System.nanoTime());
        ScheduledFuture<?> watchdog = WATCHDOG.scheduleWithFixedDelay(() -> {
            if (System.nanoTime() - lastByte.get() > READ_TIMEOUT.toNanos()) {
                try {
                    body.close(); // the blocked read fails, and the download resumes
                } catch (IOException ignored) {
                    // closing is best effort
                }
            }
        }, 1, 1, TimeUnit.SECONDS);
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.WRITE)) {
            out.truncate(start);
            out.position(start);
            byte[] buffer = new byte[1 << 16];
            long position = start;
            for (int n; (n = body.read(buffer)) > 0; ) {
                lastByte.set(System.nanoTime());
                if (position + n > file.size()) {
                    throw new ModelException(file.file() + ": the server sent more than the " + file.size()
                            + " bytes the hub announced");
                }
                ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
                position += n;
                transfer.advance(n);
            }
        } finally {
            watchdog.cancel(false);
        }
    }

    private HttpRequest.Builder request(URI url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url)
                .header("User-Agent", USER_AGENT)
                .header("Accept-Encoding", "identity");
        // The token goes to the hub only, never to the CDN an LFS file redirects to.
        if (settings.token() != null && sameOrigin(url, endpoint)) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while talking to " + request.uri());
        }
    }

    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    /** huggingface_hub follows a HEAD's redirects on the same host; another host is the CDN of an LFS file. */
    private static boolean sameHost(URI a, URI b) {
        return Objects.equals(lower(a.getHost()), lower(b.getHost()));
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(lower(a.getScheme()), lower(b.getScheme()))
                && Objects.equals(lower(a.getHost()), lower(b.getHost()))
                && port(a) == port(b);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static Long parseLong(String s) {
        try {
            return s == null ? null : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private static void sleep(long millis) throws InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to resume a download");
        }
    }
}
