package dev.blip4j.models.hub;

import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The HuggingFace hub cache on disk, laid out exactly as Python's {@code huggingface_hub}
 * ({@code file_download.py}) lays it out, so that either side reuses what the other downloaded:
 *
 * <pre>
 * $HF_HUB_CACHE/models--Salesforce--blip-image-captioning-base/
 *   refs/main                          the commit hash the branch pointed to (no newline)
 *   blobs/&lt;etag&gt;                       file contents, named by the hub's ETag (sha256 for LFS files,
 *                                      the git blob sha1 otherwise)
 *   snapshots/&lt;commit&gt;/config.json    relative symlinks ../../blobs/&lt;etag&gt;
 *   .no_exist/&lt;commit&gt;/vocab.txt      empty markers of files the hub said do not exist
 * $HF_HUB_CACHE/.locks/models--Salesforce--blip-image-captioning-base/&lt;etag&gt;.lock
 * </pre>
 *
 * A blob is written as {@code blobs/<etag>.incomplete} and renamed only once complete and
 * verified, so an interrupted download never leaves a file that looks whole, and the next attempt
 * resumes it.
 */
public final class HfCache {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** One JVM-wide lock per lock file: file locks are held per process, not per thread. */
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path root;

    public HfCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** {@code models--org--name}, huggingface_hub's {@code repo_folder_name}. */
    public static String folderName(ModelId id) {
        return "models--" + id.org() + "--" + id.name();
    }

    public Path repoDir(ModelId id) {
        return root.resolve(folderName(id));
    }

    public Path refFile(ModelId id, String revision) {
        return inside(repoDir(id).resolve("refs"), revision);
    }

    public Path snapshotDir(ModelId id, String commit) {
        return inside(repoDir(id).resolve("snapshots"), commit);
    }

    public Path pointer(ModelId id, String commit, String file) {
        return inside(snapshotDir(id, commit), file);
    }

    public Path blob(ModelId id, String etag) {
        return inside(repoDir(id).resolve("blobs"), etag);
    }

    public Path incomplete(ModelId id, String etag) {
        return inside(repoDir(id).resolve("blobs"), etag + ".incomplete");
    }

    public Path noExistMarker(ModelId id, String commit, String file) {
        return inside(repoDir(id).resolve(".no_exist").resolve(commit), file);
    }

    public Path lockFile(ModelId id, String etag) {
        return inside(root.resolve(".locks").resolve(folderName(id)), etag + ".lock");
    }

    /**
     * The commit a revision stands for in the cache: the revision itself when it is a commit hash,
     * else the content of {@code refs/<revision>}.
     */
    public Optional<String> commitOf(ModelId id) {
        if (id.isCommit()) {
            return Optional.of(id.revision());
        }
        Path ref = refFile(id, id.revision());
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
            if (!ModelId.isCommitHash(commit)) {
                throw new ModelException(ref + ": does not hold a commit hash (found '" + abbreviate(commit) + "')");
            }
            return Optional.of(commit);
        } catch (IOException e) {
            throw new ModelException(ref + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Records that {@code revision} points at {@code commit}, atomically (a reader never sees half a
     * hash). Nothing to do for a revision that is the commit itself.
     */
    public void writeRef(ModelId id, String commit) throws IOException {
        if (id.revision().equals(commit)) {
            return;
        }
        Path ref = refFile(id, id.revision());
        if (Files.isRegularFile(ref) && commit.equals(Files.readString(ref, StandardCharsets.UTF_8))) {
            return;
        }
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        moveReplacing(tmp, ref);
    }

    /** Marks a file the hub reported missing at this commit, as huggingface_hub does. */
    public void markMissing(ModelId id, String commit, String file) {
        Path marker = noExistMarker(id, commit, file);
        try {
            Files.createDirectories(marker.getParent());
            if (!Files.exists(marker)) {
                Files.createFile(marker);
            }
        } catch (FileAlreadyExistsException e) {
            // written concurrently: fine
        } catch (IOException e) {
            // Only a hint for later runs; failing to write it must not fail the download.
        }
    }

    /**
     * Points {@code snapshots/<commit>/<file>} at {@code blobs/<etag>} with a relative symlink, or a
     * copy where symbolic links cannot be made (as huggingface_hub falls back on Windows).
     */
    public Path link(ModelId id, String commit, String file, String etag) throws IOException {
        Path pointer = pointer(id, commit, file);
        Path blob = blob(id, etag);
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob);
        Path tmp = pointer.resolveSibling("." + pointer.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        try {
            Files.createSymbolicLink(tmp, target);
        } catch (UnsupportedOperationException | IOException e) {
            Files.deleteIfExists(tmp);
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        moveReplacing(tmp, pointer);
        return pointer;
    }

    /** Whether the snapshot holds {@code file} and it leads to an existing file. */
    public boolean hasFile(ModelId id, String commit, String file) {
        return Files.isRegularFile(pointer(id, commit, file));
    }

    /** Runs {@code body} holding this blob's lock, against other threads and other processes. */
    public <T> T withLock(ModelId id, String etag, IoSupplier<T> body) throws IOException {
        Path lockFile = lockFile(id, etag);
        Files.createDirectories(lockFile.getParent());
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = ch.lock()) {
            return body.get();
        } finally {
            jvmLock.unlock();
        }
    }

    /** An action that may fail with an IOException. */
    @FunctionalInterface
    public interface IoSupplier<T> {
        T get() throws IOException;
    }

    static void moveReplacing(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@code base/relative}, refusing anything that would land outside {@code base}. */
    private static Path inside(Path base, String relative) {
        Path p = base.resolve(relative).normalize();
        if (!p.startsWith(base) || p.equals(base)) {
            throw new ModelException("invalid cache path component '" + relative + "'");
        }
        return p;
    }

    private static String abbreviate(String s) {
        return s.length() <= 50 ? s : s.substring(0, 47) + "...";
    }
}
