package dev.blip4j.models.hub;

import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a model id into a local HF-layout directory, the way transformers'
 * {@code from_pretrained("Salesforce/blip-image-captioning-base")} does: the snapshot in the hub
 * cache, after fetching whatever BLIP needs that is not there yet.
 *
 * <p>Online, every wanted file is asked for with a HEAD request (as huggingface_hub does, to follow
 * a branch that moved); files already cached under the answered commit are not downloaded again.
 * The revision is pinned to the commit of the first answer, so one snapshot never mixes commits.
 * When the hub cannot be reached the cached snapshot is used, as in huggingface_hub. Offline
 * ({@code HF_HUB_OFFLINE=1}, {@code --offline}) nothing touches the network and a missing file is
 * named.
 *
 * <p>Only what BLIP reads is fetched: {@code config.json}, the weights ({@code model.safetensors},
 * else {@code pytorch_model.bin}), the tokenizer ({@code tokenizer.json}, else {@code vocab.txt}),
 * and the optional {@code tokenizer_config.json}, {@code special_tokens_map.json},
 * {@code preprocessor_config.json}.
 */
public final class HubModels {

    public static final String CONFIG = "config.json";
    public static final List<String> WEIGHTS = List.of("model.safetensors", "pytorch_model.bin");
    public static final List<String> TOKENIZERS = List.of("tokenizer.json", "vocab.txt");
    public static final List<String> OPTIONAL = List.of("tokenizer_config.json", "special_tokens_map.json",
            "preprocessor_config.json");

    private final HubSettings settings;
    private final HfCache cache;
    private final DownloadProgress progress;

    public HubModels(HubSettings settings, DownloadProgress progress) {
        this.settings = settings;
        this.cache = new HfCache(settings.cacheDir());
        this.progress = progress;
    }

    /** With this process's environment, logging each download (unless progress is disabled there). */
    public static HubModels fromEnvironment() {
        HubSettings s = HubSettings.fromEnvironment();
        return new HubModels(s, s.progressBars() ? DownloadProgress.logging() : DownloadProgress.NONE);
    }

    public HubSettings settings() {
        return settings;
    }

    public HfCache cache() {
        return cache;
    }

    /**
     * The local directory for {@code spec}: the path itself when it exists (a directory or a weights
     * file), else the snapshot of the model id it spells.
     *
     * @throws ModelException when it is neither an existing path nor a model id, or the model
     *     cannot be had
     */
    public Path locate(String spec) {
        Path local = null;
        try {
            local = Path.of(spec);
        } catch (InvalidPathException e) {
            // not a path on this system: maybe a model id
        }
        if (local != null && Files.exists(local)) {
            return local;
        }
        Optional<ModelId> id = ModelId.tryParse(spec);
        if (id.isEmpty()) {
            throw new ModelException(spec + ": no such model file or directory (nor a model id organisation/name[@revision])");
        }
        return snapshot(id.get());
    }

    /** The cached snapshot directory of {@code id}, downloading what is missing unless offline. */
    public Path snapshot(ModelId id) {
        if (settings.offline()) {
            return cachedSnapshot(id, "offline mode (HF_HUB_OFFLINE=1 or --offline)");
        }
        if (id.isCommit() && complete(id, id.revision())) {
            return cache.snapshotDir(id, id.revision()); // a commit never changes: no need to ask
        }
        try {
            return download(id);
        } catch (IOException e) {
            return cachedSnapshot(id, "cannot reach " + settings.endpoint() + " (" + e.getMessage() + ")");
        }
    }

    private Path download(ModelId id) throws IOException {
        HubClient client = new HubClient(settings);
        String revision = id.revision();
        // config.json first: it pins the commit the rest is fetched at.
        HubClient.Head config = client.head(id, revision, CONFIG);
        if (!config.exists()) {
            throw new ModelException(id + " on " + settings.endpoint() + ": no " + CONFIG
                    + " at revision " + revision + " (is it a BLIP model in transformers' format?)");
        }
        String commit = config.file().commit();
        fetch(client, id, config.file());
        cache.writeRef(id, commit);
        ModelId pinned = id.withRevision(commit);
        for (List<String> alternatives : List.of(WEIGHTS, TOKENIZERS)) {
            boolean found = false;
            for (String file : alternatives) {
                HubClient.Head h = client.head(pinned, commit, file);
                if (h.exists()) {
                    fetch(client, id, h.file());
                    found = true;
                    break;
                }
                cache.markMissing(id, commit, file);
            }
            if (!found) {
                throw new ModelException(id + " at commit " + commit + " on " + settings.endpoint()
                        + ": none of " + alternatives + " exists in the repository");
            }
        }
        for (String file : OPTIONAL) {
            HubClient.Head h = client.head(pinned, commit, file);
            if (h.exists()) {
                fetch(client, id, h.file());
            } else {
                cache.markMissing(id, commit, file);
            }
        }
        return cache.snapshotDir(id, commit);
    }

    /** Makes {@code snapshots/<commit>/<file>} lead to the file's verified blob. */
    private void fetch(HubClient client, ModelId id, RemoteFile remote) throws IOException {
        if (!ModelId.isCommitHash(remote.commit())) {
            throw new ModelException(id + ": the hub gave '" + remote.commit() + "' as the commit of " + remote.file()
                    + ", not a commit hash");
        }
        if (cache.hasFile(id, remote.commit(), remote.file())) {
            return;
        }
        Path blob = cache.blob(id, remote.etag());
        cache.withLock(id, remote.etag(), () -> {
            if (!Files.isRegularFile(blob)) {
                Path incomplete = cache.incomplete(id, remote.etag());
                client.download(remote, incomplete, progress);
                verify(remote, incomplete);
                HfCache.moveReplacing(incomplete, blob);
            }
            cache.link(id, remote.commit(), remote.file(), remote.etag());
            return null;
        });
    }

    /**
     * Size and content hash against what the hub announced; on a mismatch the partial file is
     * deleted (resuming it would only repeat the error) and nothing enters the cache.
     */
    private static void verify(RemoteFile remote, Path incomplete) throws IOException {
        long size = Files.size(incomplete);
        String problem = null;
        if (size != remote.size()) {
            problem = "has " + size + " bytes, the hub announced " + remote.size();
        } else {
            String hash = ContentHash.of(incomplete, remote.etag());
            if (hash != null && !hash.equalsIgnoreCase(remote.etag())) {
                problem = "has " + ContentHash.algorithm(remote.etag()) + " " + hash + " but the hub's ETag is "
                        + remote.etag();
            }
        }
        if (problem != null) {
            Files.deleteIfExists(incomplete);
            throw new ModelException(remote.file() + " downloaded from " + remote.location() + " " + problem
                    + "; it was discarded and nothing was cached (retry; if it persists the mirror is corrupt)");
        }
    }

    /** The snapshot as cached, if it has everything BLIP needs; else an error naming what is missing. */
    private Path cachedSnapshot(ModelId id, String why) {
        Path repo = cache.repoDir(id);
        Optional<String> commit = cache.commitOf(id);
        if (commit.isEmpty()) {
            throw new ModelException(id + " is not in the hub cache " + cache.root() + " (no " + repo.resolve("refs")
                    .resolve(id.revision()) + ") and cannot be downloaded: " + why);
        }
        String c = commit.get();
        Path dir = cache.snapshotDir(id, c);
        List<String> lacking = lacking(id, c);
        if (!lacking.isEmpty()) {
            throw new ModelException(id + " (commit " + c + ") in the hub cache lacks " + String.join(" and ", lacking)
                    + " in " + dir + ", and it cannot be downloaded: " + why);
        }
        return dir;
    }

    private boolean complete(ModelId id, String commit) {
        return lacking(id, commit).isEmpty();
    }

    private List<String> lacking(ModelId id, String commit) {
        List<String> lacking = new ArrayList<>();
        if (!cache.hasFile(id, commit, CONFIG)) {
            lacking.add(CONFIG);
        }
        for (List<String> alternatives : List.of(WEIGHTS, TOKENIZERS)) {
            if (alternatives.stream().noneMatch(f -> cache.hasFile(id, commit, f))) {
                lacking.add(String.join(" or ", alternatives));
            }
        }
        return lacking;
    }
}
