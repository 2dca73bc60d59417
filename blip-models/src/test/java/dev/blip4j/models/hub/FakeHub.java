package dev.blip4j.models.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A HuggingFace hub on 127.0.0.1 serving one repository in the hub's URL scheme with the hub's
 * headers: {@code HEAD/GET /<org>/<name>/resolve/<rev>/<file>} answers 200 with {@code ETag} (git
 * blob sha1), {@code X-Repo-Commit} and {@code Content-Length} for small files, and for LFS files
 * (weights) a 302 to {@code http://localhost:<port>/cdn/<sha256>} (another host name, as the hub's CDN) with {@code X-Linked-Etag} (the sha256),
 * {@code X-Linked-Size}; missing files get 404 {@code X-Error-Code: EntryNotFound}, unknown
 * revisions 404 {@code RevisionNotFound}. The CDN honours {@code Range}. It can drop the
 * connection in the middle of a file once, or serve corrupted bytes, and it logs every request.
 */
final class FakeHub implements AutoCloseable {

    static final Set<String> LFS_SUFFIXES = Set.of(".safetensors", ".bin", ".pth");

    private final HttpServer server;
    private final String repoId;
    private final String commit;
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Map<String, String> etags = new LinkedHashMap<>();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String cutOnce;
    private volatile String corrupt;
    private volatile String requiredToken;

    FakeHub(Path dir, String repoId, String commit, Set<String> leaveOut) throws IOException {
        this.repoId = repoId;
        this.commit = commit;
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!leaveOut.contains(name)) {
                    byte[] bytes = Files.readAllBytes(p);
                    files.put(name, bytes);
                    etags.put(name, isLfs(name) ? sha256(bytes) : gitBlobSha1(bytes));
                }
            }
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The CDN LFS files redirect to: the same server under another host name, as the hub's CDN is another host. */
    String cdn() {
        return "http://localhost:" + server.getAddress().getPort();
    }

    String commit() {
        return commit;
    }

    String etag(String file) {
        return etags.get(file);
    }

    byte[] bytes(String file) {
        return files.get(file);
    }

    int requestCount() {
        return requests.get();
    }

    List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** The next GET of this file's content sends half of it and drops the connection. */
    void cutOnce(String file) {
        cutOnce = file;
    }

    /** This file's content is served with one byte flipped (headers still announce the true hash). */
    void corrupt(String file) {
        corrupt = file;
    }

    /** Answer 401 unless this bearer token is sent. */
    void requireToken(String token) {
        requiredToken = token;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static boolean isLfs(String name) {
        return LFS_SUFFIXES.stream().anyMatch(name::endsWith);
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest("SHA-256").digest(bytes));
    }

    static String gitBlobSha1(byte[] bytes) {
        MessageDigest d = digest("SHA-1");
        d.update(("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(d.digest(bytes));
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        log.add(method + " " + path + (range != null ? " Range:" + range : "") + (auth != null ? " Auth:" + auth : ""));
        try (ex) {
            if (path.startsWith("/cdn/")) {
                cdn(ex, method, path.substring("/cdn/".length()), range);
            } else {
                resolve(ex, method, path);
            }
        }
    }

    private void resolve(HttpExchange ex, String method, String path) throws IOException {
        String prefix = "/" + repoId + "/resolve/";
        Headers h = ex.getResponseHeaders();
        if (!path.startsWith(prefix)) {
            h.set("X-Error-Code", "RepoNotFound");
            ex.sendResponseHeaders(401, -1);
            return;
        }
        if (requiredToken != null && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            h.set("X-Error-Code", "RepoNotFound");
            ex.sendResponseHeaders(401, -1);
            return;
        }
        String rest = path.substring(prefix.length());
        int slash = rest.indexOf('/');
        String revision = URLDecoder.decode(rest.substring(0, slash), StandardCharsets.UTF_8);
        String file = URLDecoder.decode(rest.substring(slash + 1), StandardCharsets.UTF_8);
        if (!revision.equals("main") && !revision.equals(commit)) {
            h.set("X-Error-Code", "RevisionNotFound");
            ex.sendResponseHeaders(404, -1);
            return;
        }
        h.set("X-Repo-Commit", commit);
        byte[] content = files.get(file);
        if (content == null) {
            h.set("X-Error-Code", "EntryNotFound");
            ex.sendResponseHeaders(404, -1);
            return;
        }
        String etag = etags.get(file);
        if (isLfs(file)) {
            // As the hub: the resolve URL of an LFS file redirects to a (signed) CDN address.
            h.set("ETag", "\"" + gitBlobSha1(("version https://git-lfs.github.com/spec/v1\noid sha256:" + etag
                    + "\nsize " + content.length + "\n").getBytes(StandardCharsets.UTF_8)) + "\"");
            h.set("X-Linked-Etag", "\"" + etag + "\"");
            h.set("X-Linked-Size", Long.toString(content.length));
            h.set("Location", cdn() + "/cdn/" + etag + "?file=" + file);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        h.set("ETag", "\"" + etag + "\"");
        h.set("Content-Type", "text/plain; charset=utf-8");
        send(ex, method, content, 0, false);
    }

    private void cdn(HttpExchange ex, String method, String etag, String range) throws IOException {
        String file = null;
        for (Map.Entry<String, String> e : etags.entrySet()) {
            if (e.getValue().equals(etag)) {
                file = e.getKey();
            }
        }
        if (file == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        byte[] content = files.get(file);
        if (file.equals(corrupt)) {
            content = content.clone();
            content[content.length / 2] ^= 0x5a;
        }
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.getResponseHeaders().set("ETag", "\"" + etag + "\"");
        long start = 0;
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            start = Long.parseLong(range.substring(6, range.length() - 1));
            if (start >= content.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            ex.getResponseHeaders().set("Content-Range",
                    "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
        }
        boolean cut = file.equals(cutOnce) && method.equals("GET");
        if (cut) {
            cutOnce = null;
        }
        send(ex, method, content, (int) start, cut);
    }

    private static void send(HttpExchange ex, String method, byte[] content, int start, boolean cut) throws IOException {
        int length = content.length - start;
        int status = start > 0 ? 206 : 200;
        if (method.equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, length);
        OutputStream body = ex.getResponseBody();
        if (cut) {
            body.write(content, start, length / 2);
            body.flush();
            try {
                Thread.sleep(300); // let the client take in what was sent before the connection goes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Drop the connection with the body half sent, as a network failure would.
            throw new UncheckedIOException(new IOException("connection cut on purpose"));
        }
        body.write(content, start, length);
    }
}
