package dev.blip4j.models.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.BlipException;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.features.ModelIdentity;
import dev.blip4j.models.image.ImageFiles;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.MatchingText;
import dev.blip4j.models.checkpoint.FolderLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Builds and updates a {@link GalleryIndex} folder: each image's normalised ITC embedding
 * ({@code F.normalize(vision_proj(visual_encoder(image)[:,0,:]))}, what the official retrieval
 * evaluation compares texts against; with BLIP-2 one per learned query, {@code normalize(vision_proj(query))},
 * as LAVIS's {@code compute_sim_matrix} keeps them), and optionally its full token states for ITM re-ranking.
 *
 * <ul>
 *   <li><b>Resumable.</b> Work is committed in chunks ({@link IndexOptions#chunkSize()}): one
 *       embeddings shard, then the manifest rewritten through a temporary file and a rename. A build
 *       that stops (crash, kill, a listener that throws) leaves the index as of its last commit;
 *       running the same build again encodes only what is missing. Leftovers of an interrupted
 *       commit (temporary files, shards and token files the manifest does not name) are removed.</li>
 *   <li><b>Incremental.</b> An image already indexed whose size and modification time are unchanged
 *       is reused, never recomputed; a changed one is re-encoded; with {@link #build} an image no
 *       longer listed (deleted from the folder) is dropped.</li>
 *   <li><b>One model per index.</b> The manifest records the model's identity (SHA-256 of the
 *       weights, image size, widths); updating an index with another model is refused by name.</li>
 * </ul>
 * Unreadable images are reported (listener and report) and skipped; a later build retries them.
 * Only one build at a time may write a folder (a lock file guards it).
 */
public final class GalleryIndexer {

    private static final String LOCK = ".lock";

    private final BlipModel model;
    private final IndexOptions options;

    public GalleryIndexer(BlipModel model) {
        this(model, IndexOptions.defaults());
    }

    /** @throws dev.blip4j.core.ModelException if the checkpoint has no ITC projections */
    public GalleryIndexer(BlipModel model, IndexOptions options) {
        MatchingText.requireItc(model, "a gallery index");
        this.model = model;
        this.options = options;
    }

    /** Makes the index at {@code dir} hold exactly the images of {@code folder} and its sub-folders. */
    public IndexReport build(Path dir, Path folder, IndexListener listener) {
        return build(dir, ImageFiles.list(folder, true), listener);
    }

    /**
     * Makes the index at {@code dir} (created if needed) hold exactly {@code images}: unchanged ones
     * reused, new and changed ones encoded, others dropped.
     */
    public IndexReport build(Path dir, List<Path> images, IndexListener listener) {
        return update(dir, images, true, listener);
    }

    /** Adds {@code images} to the index (re-encoding any that changed), keeping every other entry. */
    public IndexReport add(Path dir, List<Path> images, IndexListener listener) {
        return update(dir, images, false, listener);
    }

    private record Todo(Path path, String key, long bytes, long modified) {}

    private record Computed(IndexedImage image, float[] embedding) {}

    private IndexReport update(Path dir, List<Path> images, boolean exact, IndexListener listener) {
        IndexListener l = listener == null ? IndexListener.NONE : listener;
        ModelIdentity identity = ModelIdentity.of(model);
        try {
            Files.createDirectories(dir.resolve(GalleryIndex.SHARDS));
        } catch (IOException e) {
            throw new InputException(dir + ": cannot create the index folder (" + e.getMessage() + ")", e);
        }
        try (FolderLock lock = FolderLock.acquire(dir.resolve(LOCK),
                "index " + dir + " is being written by another build; wait for it to finish")) {
            IndexManifest manifest = IndexManifest.exists(dir) ? IndexManifest.read(dir) : IndexManifest.create(identity);
            if (!manifest.model.compatibleWith(identity)) {
                throw new InputException("index " + dir + " was built with model " + manifest.model.describe()
                        + ", not with " + identity.describe() + ": update it with that model, or build a new index");
            }
            removeLeftovers(dir, manifest);

            List<IndexReport.Failure> failures = new ArrayList<>();
            List<Todo> todo = new ArrayList<>();
            Set<String> listed = new HashSet<>();
            List<IndexedImage> dropped = new ArrayList<>();
            int reused = 0;
            for (Path given : images) {
                Path path = given.toAbsolutePath().normalize();
                String key = path.toString();
                if (!listed.add(key)) {
                    continue;
                }
                IndexedImage known = manifest.images.get(key);
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(path, BasicFileAttributes.class);
                } catch (IOException e) {
                    String why = e instanceof NoSuchFileException ? "no such file" : "cannot read (" + e.getMessage() + ")";
                    failures.add(new IndexReport.Failure(given, given + ": " + why));
                    l.skipped(given, why);
                    if (known != null) {
                        dropped.add(manifest.images.remove(key));
                    }
                    continue;
                }
                long modified = attrs.lastModifiedTime().toMillis();
                if (known != null && known.bytes() == attrs.size() && known.modifiedMillis() == modified
                        && (known.tokens() != null || !options.keepImageTokens())) {
                    reused++;
                    l.reused(given);
                    continue;
                }
                if (known != null) {
                    dropped.add(manifest.images.remove(key));
                }
                todo.add(new Todo(given, key, attrs.size(), modified));
            }
            if (exact) {
                for (String key : List.copyOf(manifest.images.keySet())) {
                    if (!listed.contains(key)) {
                        dropped.add(manifest.images.remove(key));
                    }
                }
            }
            if (!dropped.isEmpty()) {
                commit(dir, manifest, List.of(), dropped);
            }
            int added = encode(dir, manifest, todo, failures, l);
            return new IndexReport(manifest.images.size(), reused, added, dropped.size(), failures);
        } catch (IOException e) {
            throw new InputException(dir + ": cannot write the index (" + e.getMessage() + ")", e);
        }
    }

    private int encode(Path dir, IndexManifest manifest, List<Todo> todo, List<IndexReport.Failure> failures,
            IndexListener l) throws IOException {
        List<Computed> chunk = new ArrayList<>();
        int done = 0;
        int added = 0;
        for (int start = 0; start < todo.size(); start += options.batchSize()) {
            List<Todo> batch = todo.subList(start, Math.min(todo.size(), start + options.batchSize()));
            List<Todo> loaded = new ArrayList<>();
            List<RgbImage> pixels = new ArrayList<>();
            List<Path> skipped = new ArrayList<>();
            for (Todo t : batch) {
                try {
                    pixels.add(model.readImage(t.path()));
                    loaded.add(t);
                } catch (BlipException e) {
                    failures.add(new IndexReport.Failure(t.path(), e.getMessage()));
                    l.skipped(t.path(), e.getMessage());
                    skipped.add(t.path());
                }
            }
            chunk.addAll(compute(dir, manifest, loaded, pixels));
            added += loaded.size();
            for (Path p : skipped) {
                l.progress(++done, todo.size(), p);
            }
            for (Todo t : loaded) {
                l.progress(++done, todo.size(), t.path());
            }
            if (chunk.size() >= options.chunkSize()) {
                commit(dir, manifest, chunk, List.of());
                chunk = new ArrayList<>();
            }
        }
        if (!chunk.isEmpty()) {
            commit(dir, manifest, chunk, List.of());
        }
        return added;
    }

    /** Embeddings (and kept token files) of one batch; ids are taken from the manifest's counter. */
    private List<Computed> compute(Path dir, IndexManifest manifest, List<Todo> todo, List<RgbImage> images)
            throws IOException {
        if (images.isEmpty()) {
            return List.of();
        }
        List<Computed> out = new ArrayList<>(images.size());
        ImageTextNetwork net = model.imageTextNetwork();
        try (NDManager m = net.newManager()) {
            NDArray states = net.encodeImage(model.pixels(images, m));
            // [B, Q, D]: one ITC vector per image for BLIP, one per learned query for BLIP-2.
            float[] feat = net.imageEmbeddings(states).toFloatArray();
            int d = feat.length / images.size();
            float[] tokens = options.keepImageTokens() ? states.toFloatArray() : null;
            long[] shape = {states.getShape().get(1), states.getShape().get(2)};
            int per = (int) (shape[0] * shape[1]);
            for (int i = 0; i < images.size(); i++) {
                long id = manifest.nextId++;
                String tokenFile = null;
                if (tokens != null) {
                    tokenFile = GalleryIndex.TOKENS + "/" + String.format("%012d.safetensors", id);
                    SafeTensors.write(dir.resolve(tokenFile), Map.of(GalleryIndex.TOKEN_STATES,
                            TensorData.ofFloats(shape, tokens, i * per)), Map.of());
                }
                Todo t = todo.get(i);
                IndexedImage image = new IndexedImage(id, t.key(), t.bytes(), t.modified(), images.get(i).width(),
                        images.get(i).height(), null, -1, tokenFile);
                out.add(new Computed(image, java.util.Arrays.copyOfRange(feat, i * d, (i + 1) * d)));
            }
        }
        return out;
    }

    /** Writes the chunk's shard, then the manifest; then deletes what the manifest no longer names. */
    private void commit(Path dir, IndexManifest manifest, List<Computed> chunk, List<IndexedImage> dropped)
            throws IOException {
        if (!chunk.isEmpty()) {
            String shard = GalleryIndex.SHARDS + "/" + String.format("embeddings-%06d.safetensors", manifest.nextShard++);
            int d = chunk.get(0).embedding().length;
            int q = manifest.model.imageEmbeddings();
            float[] all = new float[chunk.size() * d];
            long[] ids = new long[chunk.size()];
            for (int r = 0; r < chunk.size(); r++) {
                System.arraycopy(chunk.get(r).embedding(), 0, all, r * d, d);
                ids[r] = chunk.get(r).image().id();
            }
            long[] shape = q == 1 ? new long[] {chunk.size(), d} : new long[] {chunk.size(), q, d / q};
            SafeTensors.write(dir.resolve(shard), GalleryIndex.shardTensors(shape, all, ids),
                    Map.of("format", IndexManifest.FORMAT));
            for (int r = 0; r < chunk.size(); r++) {
                IndexedImage i = chunk.get(r).image();
                manifest.images.put(i.path(), new IndexedImage(i.id(), i.path(), i.bytes(), i.modifiedMillis(), i.width(),
                        i.height(), shard, r, i.tokens()));
            }
        }
        manifest.updated = Instant.now();
        manifest.write(dir);
        Set<String> live = new HashSet<>();
        manifest.images.values().forEach(i -> live.add(i.shard()));
        for (IndexedImage gone : dropped) {
            if (gone.tokens() != null) {
                Files.deleteIfExists(dir.resolve(gone.tokens()));
            }
            if (!live.contains(gone.shard())) {
                Files.deleteIfExists(dir.resolve(gone.shard()));
            }
        }
    }

    /** Temporary files, and shard and token files the manifest does not name: leftovers of a stopped build. */
    private static void removeLeftovers(Path dir, IndexManifest manifest) throws IOException {
        Set<String> named = new HashSet<>();
        for (IndexedImage i : manifest.images.values()) {
            named.add(i.shard());
            if (i.tokens() != null) {
                named.add(i.tokens());
            }
        }
        for (Path folder : List.of(dir, dir.resolve(GalleryIndex.SHARDS), dir.resolve(GalleryIndex.TOKENS))) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            List<Path> files;
            try (Stream<Path> s = Files.list(folder)) {
                files = s.filter(Files::isRegularFile).toList();
            }
            for (Path f : files) {
                String name = f.getFileName().toString();
                boolean partial = name.startsWith(".") && name.endsWith(".partial");
                boolean orphan = !folder.equals(dir) && name.endsWith(".safetensors")
                        && !named.contains(dir.relativize(f).toString().replace('\\', '/'));
                if (partial || orphan) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
