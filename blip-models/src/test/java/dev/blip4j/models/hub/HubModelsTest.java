package dev.blip4j.models.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.testing.Golden;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model ids through a hub on 127.0.0.1 that serves the golden HF directory in the hub's URL scheme:
 * download, cache layout shared with Python's huggingface_hub, resume, checksums, offline reuse.
 */
class HubModelsTest {

    static final String REPO = "Salesforce/blip-tiny-caption";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String WEIGHTS = "model.safetensors";

    @TempDir
    Path tmp;

    /** What a progress listener was told. */
    static final class Recorder implements DownloadProgress {
        final List<String> started = Collections.synchronizedList(new ArrayList<>());
        final List<Long> advanced = Collections.synchronizedList(new ArrayList<>());

        @Override
        public Transfer start(String file, long total, long resumedFrom) {
            started.add(file + ":" + total + ":" + resumedFrom);
            return new Transfer() {
                @Override
                public void advance(long bytes) {
                    advanced.add(bytes);
                }
            };
        }
    }

    private FakeHub hub(String... leaveOut) throws IOException {
        return new FakeHub(Golden.of("caption").hf(), REPO, COMMIT, Set.of(leaveOut));
    }

    private HubSettings settings(FakeHub hub) {
        return new HubSettings(hub.endpoint(), tmp.resolve("hub"), false, null, false);
    }

    private static List<String> beamCaptions() {
        JsonObject beam = Golden.of("caption").results().getAsJsonObject("beam");
        List<String> out = new ArrayList<>();
        beam.getAsJsonArray("captions").forEach(e -> out.add(e.getAsString()));
        return out;
    }

    private static void assertCaptionsAreGolden(BlipModel model) {
        Captioner captioner = new Captioner(model);
        List<String> want = beamCaptions();
        for (int i = 0; i < 3; i++) {
            Caption c = captioner.caption(Golden.image(i)).get(0);
            assertEquals(want.get(i), c.text(), "image " + i);
        }
    }

    @Test
    void downloadsOnlyWhatBlipNeedsThenLoadsAndCaptionsLikeTheGoldens() throws IOException {
        try (FakeHub hub = hub("special_tokens_map.json")) {
            Recorder progress = new Recorder();
            try (BlipModel model = BlipModel.builder(REPO).hub(settings(hub)).downloadProgress(progress).load()) {
                assertCaptionsAreGolden(model);
            }
            // Only the files BLIP reads; vocab.txt and added_tokens.json are not fetched when tokenizer.json exists.
            List<String> gets = hub.log().stream().filter(l -> l.startsWith("GET")).toList();
            assertEquals(5, gets.size(), "GETs: " + gets);
            assertTrue(gets.stream().anyMatch(l -> l.startsWith("GET /cdn/" + hub.etag(WEIGHTS))), gets.toString());
            assertTrue(hub.log().stream().noneMatch(l -> l.contains("vocab.txt") || l.contains("added_tokens")),
                    hub.log().toString());
            long size = hub.bytes(WEIGHTS).length;
            assertTrue(progress.started.contains(WEIGHTS + ":" + size + ":0"), progress.started.toString());
            assertEquals(hub.bytes(WEIGHTS).length + hub.bytes("config.json").length
                    + hub.bytes("tokenizer.json").length + hub.bytes("tokenizer_config.json").length
                    + hub.bytes("preprocessor_config.json").length,
                    progress.advanced.stream().mapToLong(Long::longValue).sum());
        }
    }

    @Test
    void cacheLayoutIsHuggingfaceHubs() throws IOException {
        try (FakeHub hub = hub("special_tokens_map.json")) {
            HubModels models = new HubModels(settings(hub), DownloadProgress.NONE);
            Path snapshot = models.snapshot(ModelId.parse(REPO));
            Path repo = tmp.resolve("hub/models--Salesforce--blip-tiny-caption");
            assertEquals(repo.resolve("snapshots").resolve(COMMIT), snapshot);
            // refs/main holds the bare commit hash, no newline, as huggingface_hub writes and reads it.
            assertEquals(COMMIT, Files.readString(repo.resolve("refs/main"), StandardCharsets.UTF_8));
            for (String file : List.of("config.json", WEIGHTS, "tokenizer.json", "tokenizer_config.json",
                    "preprocessor_config.json")) {
                Path pointer = snapshot.resolve(file);
                assertTrue(Files.isSymbolicLink(pointer), file + " is a symlink");
                assertEquals(Path.of("../../blobs/" + hub.etag(file)), Files.readSymbolicLink(pointer), file);
                assertTrue(java.util.Arrays.equals(hub.bytes(file), Files.readAllBytes(pointer)), file + " content");
            }
            assertEquals(FakeHub.sha256(hub.bytes(WEIGHTS)), hub.etag(WEIGHTS), "LFS blobs are named by sha256");
            assertTrue(Files.isRegularFile(repo.resolve(".no_exist").resolve(COMMIT).resolve("special_tokens_map.json")));
            try (Stream<Path> blobs = Files.list(repo.resolve("blobs"))) {
                assertTrue(blobs.noneMatch(p -> p.toString().endsWith(".incomplete")));
            }
            assertTrue(Files.isRegularFile(tmp.resolve("hub/.locks/models--Salesforce--blip-tiny-caption")
                    .resolve(hub.etag(WEIGHTS) + ".lock")));
        }
    }

    @Test
    void resumesAfterTheConnectionIsCutMidFile() throws IOException {
        try (FakeHub hub = hub()) {
            hub.cutOnce(WEIGHTS);
            Path snapshot = new HubModels(settings(hub), DownloadProgress.NONE).snapshot(ModelId.parse(REPO));
            List<String> cdn = hub.log().stream().filter(l -> l.startsWith("GET /cdn/")).toList();
            int half = hub.bytes(WEIGHTS).length / 2;
            assertEquals(2, cdn.size(), cdn.toString());
            assertFalse(cdn.get(0).contains("Range"), cdn.toString());
            // It resumes from what had arrived when the connection dropped: at most the half the server sent
            // (what was still in flight is lost with the connection), and more than nothing.
            java.util.regex.Matcher range = java.util.regex.Pattern.compile("Range:bytes=(\\d+)-$").matcher(cdn.get(1));
            assertTrue(range.find(), cdn.toString());
            long from = Long.parseLong(range.group(1));
            assertTrue(from > 0 && from <= half, "resumed from " + from + ", half is " + half);
            assertEquals(hub.etag(WEIGHTS), FakeHub.sha256(Files.readAllBytes(snapshot.resolve(WEIGHTS))));
        }
    }

    @Test
    void resumesAPartialFileLeftByAnEarlierRun() throws IOException {
        try (FakeHub hub = hub()) {
            Path incomplete = tmp.resolve("hub/models--Salesforce--blip-tiny-caption/blobs")
                    .resolve(hub.etag(WEIGHTS) + ".incomplete");
            Files.createDirectories(incomplete.getParent());
            Files.write(incomplete, java.util.Arrays.copyOf(hub.bytes(WEIGHTS), 1000));
            Recorder progress = new Recorder();
            Path snapshot = new HubModels(settings(hub), progress).snapshot(ModelId.parse(REPO));
            assertTrue(hub.log().stream().anyMatch(l -> l.startsWith("GET /cdn/") && l.endsWith("Range:bytes=1000-")),
                    hub.log().toString());
            assertTrue(progress.started.contains(WEIGHTS + ":" + hub.bytes(WEIGHTS).length + ":1000"),
                    progress.started.toString());
            assertEquals(hub.etag(WEIGHTS), FakeHub.sha256(Files.readAllBytes(snapshot.resolve(WEIGHTS))));
            assertFalse(Files.exists(incomplete));
        }
    }

    @Test
    void aWrongChecksumIsRejectedAndNothingEntersTheCache() throws IOException {
        try (FakeHub hub = hub()) {
            hub.corrupt(WEIGHTS);
            HubModels models = new HubModels(settings(hub), DownloadProgress.NONE);
            ModelException e = assertThrows(ModelException.class, () -> models.snapshot(ModelId.parse(REPO)));
            assertTrue(e.getMessage().contains(WEIGHTS) && e.getMessage().contains("sha256")
                    && e.getMessage().contains(hub.etag(WEIGHTS)), e.getMessage());
            Path repo = tmp.resolve("hub/models--Salesforce--blip-tiny-caption");
            assertFalse(Files.exists(repo.resolve("blobs").resolve(hub.etag(WEIGHTS))));
            assertFalse(Files.exists(repo.resolve("blobs").resolve(hub.etag(WEIGHTS) + ".incomplete")));
            assertFalse(Files.exists(repo.resolve("snapshots").resolve(COMMIT).resolve(WEIGHTS),
                    java.nio.file.LinkOption.NOFOLLOW_LINKS));
            // Offline, the incomplete snapshot is refused with the missing file named.
            ModelException offline = assertThrows(ModelException.class,
                    () -> new HubModels(settings(hub).withOffline(true), DownloadProgress.NONE)
                            .snapshot(ModelId.parse(REPO)));
            assertTrue(offline.getMessage().contains("model.safetensors or pytorch_model.bin"), offline.getMessage());
        }
    }

    @Test
    void offlineReusesTheCacheWithoutTouchingTheServer() throws IOException {
        try (FakeHub hub = hub()) {
            try (BlipModel model = BlipModel.builder(REPO).hub(settings(hub)).downloadProgress(DownloadProgress.NONE)
                    .load()) {
                assertEquals(Set.of(dev.blip4j.core.BlipKind.CAPTION), model.info().config().kinds());
            }
            int before = hub.requestCount();
            assertTrue(before > 0);
            try (BlipModel model = BlipModel.builder(REPO).hub(settings(hub)).offline(true).load()) {
                assertCaptionsAreGolden(model);
            }
            HubSettings fromEnv = HubSettings.from(java.util.Map.of("HF_HUB_OFFLINE", "1", "HF_ENDPOINT", hub.endpoint(),
                    "HF_HUB_CACHE", tmp.resolve("hub").toString()), tmp);
            assertTrue(fromEnv.offline());
            new HubModels(fromEnv, DownloadProgress.NONE).snapshot(ModelId.parse(REPO + "@main"));
            new HubModels(fromEnv, DownloadProgress.NONE).snapshot(ModelId.parse(REPO + "@" + COMMIT));
            assertEquals(before, hub.requestCount(), "offline resolution sent requests: " + hub.log());
        }
    }

    @Test
    void offlineWithAnEmptyCacheSaysWhatIsMissing() {
        HubSettings offline = new HubSettings("http://127.0.0.1:9", tmp.resolve("empty"), true, null, false);
        ModelException e = assertThrows(ModelException.class,
                () -> BlipModel.builder(REPO + "@v1.0").hub(offline).load());
        assertTrue(e.getMessage().contains(REPO) && e.getMessage().contains("not in the hub cache")
                && e.getMessage().contains("refs/v1.0") && e.getMessage().contains("offline"), e.getMessage());
    }

    /** A cache as Python's huggingface_hub leaves it, made by hand: blobs, relative symlinks, refs/main. */
    private Path pythonCache(FakeHub hub) throws IOException {
        Path repo = tmp.resolve("hub/models--Salesforce--blip-tiny-caption");
        Path snapshot = repo.resolve("snapshots").resolve(COMMIT);
        Files.createDirectories(snapshot);
        Files.createDirectories(repo.resolve("blobs"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT);
        // Python downloads what transformers asks for, vocab.txt and special_tokens_map.json included.
        for (String file : List.of("config.json", WEIGHTS, "tokenizer.json", "vocab.txt", "tokenizer_config.json",
                "special_tokens_map.json", "preprocessor_config.json")) {
            Files.write(repo.resolve("blobs").resolve(hub.etag(file)), hub.bytes(file));
            Files.createSymbolicLink(snapshot.resolve(file), Path.of("../../blobs").resolve(hub.etag(file)));
        }
        return snapshot;
    }

    @Test
    void aCacheWrittenByPythonIsReusedOfflineAndOnline() throws IOException {
        try (FakeHub hub = hub()) {
            pythonCache(hub);
            try (BlipModel model = BlipModel.builder(REPO).hub(settings(hub).withOffline(true)).load()) {
                assertCaptionsAreGolden(model);
            }
            assertEquals(0, hub.requestCount());
            // Online: the hub is asked what main is (HEADs) but nothing is downloaded again.
            try (BlipModel model = BlipModel.builder(REPO).hub(settings(hub)).downloadProgress(DownloadProgress.NONE)
                    .load()) {
                assertTrue(model.info().weights().startsWith(tmp.resolve("hub")), model.info().weights().toString());
            }
            assertTrue(hub.requestCount() > 0);
            assertTrue(hub.log().stream().allMatch(l -> l.startsWith("HEAD")), hub.log().toString());
        }
    }

    @Test
    void anUnreachableHubFallsBackToTheCache() throws IOException {
        try (FakeHub hub = hub()) {
            pythonCache(hub);
        }
        // The server is gone: the port refuses connections, as a machine without network would.
        HubSettings gone = new HubSettings("http://127.0.0.1:9", tmp.resolve("hub"), false, null, false);
        Path snapshot = new HubModels(gone, DownloadProgress.NONE).snapshot(ModelId.parse(REPO));
        assertEquals(tmp.resolve("hub/models--Salesforce--blip-tiny-caption/snapshots").resolve(COMMIT), snapshot);
    }

    @Test
    void theTokenGoesToTheHubAsABearerHeader() throws IOException {
        try (FakeHub hub = hub()) {
            hub.requireToken("hf_secret");
            HubModels anonymous = new HubModels(settings(hub), DownloadProgress.NONE);
            ModelException e = assertThrows(ModelException.class, () -> anonymous.snapshot(ModelId.parse(REPO)));
            assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
            HubSettings withToken = HubSettings.from(java.util.Map.of("HF_ENDPOINT", hub.endpoint(),
                    "HF_HUB_CACHE", tmp.resolve("hub").toString(), "HF_TOKEN", "hf_secret"), tmp);
            new HubModels(withToken, DownloadProgress.NONE).snapshot(ModelId.parse(REPO));
            assertTrue(hub.log().stream().filter(l -> l.startsWith("HEAD")).skip(1)
                    .allMatch(l -> l.endsWith("Auth:Bearer hf_secret")), hub.log().toString());
            // Never to the CDN host an LFS file redirects to (its URL is signed).
            assertTrue(hub.log().stream().filter(l -> l.startsWith("GET /cdn/")).noneMatch(l -> l.contains("Auth:")),
                    hub.log().toString());
            assertTrue(hub.log().stream().filter(l -> l.startsWith("GET /") && !l.startsWith("GET /cdn/"))
                    .allMatch(l -> l.endsWith("Auth:Bearer hf_secret")), hub.log().toString());
        }
    }

    @Test
    void unknownRevisionsAndNonModelSpecsAreNamed() throws IOException {
        try (FakeHub hub = hub()) {
            HubModels models = new HubModels(settings(hub), DownloadProgress.NONE);
            ModelException e = assertThrows(ModelException.class, () -> models.snapshot(ModelId.parse(REPO + "@v9")));
            assertTrue(e.getMessage().contains("no revision 'v9'"), e.getMessage());
            ModelException notId = assertThrows(ModelException.class, () -> models.locate("no/such/dir"));
            assertTrue(notId.getMessage().contains("no/such/dir"), notId.getMessage());
        }
    }
}
