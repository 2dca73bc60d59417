package dev.blip4j.djl;

import ai.djl.nn.IdentityBlockFactory;
import ai.djl.repository.AbstractRepository;
import ai.djl.repository.Artifact;
import ai.djl.repository.MRL;
import ai.djl.repository.Metadata;
import ai.djl.util.Progress;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.hub.DownloadProgress;
import dev.blip4j.models.hub.HubModels;
import dev.blip4j.models.hub.HubSettings;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DJL's view of a BLIP model named by a {@code blip4j:} URL: {@code blip4j://org/name[@revision]}
 * resolves through the HuggingFace cache (downloading when missing, as {@link HubModels} does),
 * {@code blip4j:/abs/path} or {@code blip4j:///abs/path} is a local directory or weights file.
 * The query string becomes arguments ({@code ?image_size=384&beams=1}); {@code offline=true} and
 * {@code cache_dir=PATH} change how a model id is resolved.
 *
 * <p>The artifact it describes carries what DJL needs to load a model that is not a TorchScript
 * file: {@link BlipTranslatorFactory} as the translator factory, DJL's
 * {@link IdentityBlockFactory} for a Block without parameters, and {@code hasParameter=false}.
 * So a plain {@code Criteria.builder().setTypes(Image.class, String.class).optModelUrls("blip4j://...")}
 * loads it, as do DJL Serving and DJL's batch tools.
 */
public final class BlipRepository extends AbstractRepository {

    public static final String SCHEME = "blip4j";
    static final String GROUP_ID = "dev.blip4j";

    private final String spec;
    private final String artifactId;
    private volatile Path resolved;
    private volatile Metadata metadata;

    BlipRepository(String name, URI uri) {
        super(name, uri);
        this.spec = spec(uri);
        String last = spec.replace('\\', '/').replaceAll("/+$", "");
        last = last.substring(last.lastIndexOf('/') + 1);
        this.artifactId = last.isEmpty() ? "blip" : last.replace('@', '-');
    }

    /** The local path a {@code file:} URL names (its query aside). */
    static Path filePath(URI uri) {
        return Path.of(URI.create("file:" + uri.getRawPath()));
    }

    /** The path or model id a {@code blip4j:} URL names, or the path of a {@code file:} URL. */
    static String spec(URI uri) {
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            return filePath(uri).toString();
        }
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not a " + SCHEME + ": URL: " + uri);
        }
        String s;
        if (uri.isOpaque()) {
            s = uri.getRawSchemeSpecificPart();
            int q = s.indexOf('?');
            s = q >= 0 ? s.substring(0, q) : s;
        } else {
            String authority = uri.getRawAuthority();
            s = (authority != null ? authority : "") + (uri.getRawPath() != null ? uri.getRawPath() : "");
        }
        s = URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("a " + SCHEME + ": URL names no model: " + uri);
        }
        return s;
    }

    @Override
    public boolean isRemote() {
        return false;
    }

    @Override
    public Metadata locate(MRL mrl) {
        Metadata m = metadata;
        if (m == null) {
            m = new Metadata.MatchAllMetadata();
            m.setRepositoryUri(URI.create(""));
            m.setArtifactId(artifactId);
            m.setGroupId(GROUP_ID);
            Artifact artifact = new Artifact();
            artifact.setName(artifactId);
            Map<String, Object> args = new ConcurrentHashMap<>(arguments);
            args.putIfAbsent("translatorFactory", BlipTranslatorFactory.class.getName());
            args.putIfAbsent("blockFactory", IdentityBlockFactory.class.getName());
            args.putIfAbsent("engine", "PyTorch");
            artifact.setArguments(args);
            Map<String, String> options = new ConcurrentHashMap<>();
            options.put("hasParameter", "false");
            artifact.setOptions(options);
            artifact.setFiles(new ConcurrentHashMap<>());
            m.setArtifacts(new ArrayList<>(List.of(artifact)));
            metadata = m;
        }
        return m;
    }

    @Override
    public Artifact resolve(MRL mrl, Map<String, String> filter) {
        return locate(mrl).getArtifacts().get(0);
    }

    /** Resolves the model: a local path as is, a model id through the HuggingFace cache. */
    @Override
    public synchronized void prepare(Artifact artifact, Progress progress) throws IOException {
        if (resolved != null) {
            return;
        }
        HubSettings settings = HubSettings.fromEnvironment();
        String cacheDir = arguments.get("cache_dir");
        if (cacheDir != null) {
            settings = settings.withCacheDir(Path.of(cacheDir));
        }
        if (Boolean.parseBoolean(arguments.getOrDefault("offline", "false"))) {
            settings = settings.withOffline(true);
        }
        DownloadProgress bars = settings.progressBars() ? DownloadProgress.logging() : DownloadProgress.NONE;
        resolved = new HubModels(settings, bars).locate(spec);
    }

    @Override
    public Path getResourceDirectory(Artifact artifact) throws IOException {
        if (resolved == null) {
            prepare(artifact, null);
        }
        return resolved;
    }

    @Override
    public Path getCacheDirectory() {
        Path p = resolved;
        if (p == null) {
            throw new ModelException(spec + ": not resolved yet");
        }
        return Files.isRegularFile(p) ? p.getParent() : p;
    }

    @Override
    public List<MRL> getResources() {
        return List.of(MRL.undefined(this, GROUP_ID, artifactId));
    }
}
