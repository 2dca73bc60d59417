package dev.blip4j.djl;

import ai.djl.repository.LocalRepository;
import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import ai.djl.repository.SimpleRepository;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Registers blip4j's model locations with DJL (through
 * {@code META-INF/services/ai.djl.repository.RepositoryFactory}):
 * <ul>
 *   <li>the {@code blip4j:} URL scheme, so that
 *       {@code Criteria.optModelUrls("blip4j://Salesforce/blip-image-captioning-base")} finds blip4j;</li>
 *   <li>{@code file:} locations (what {@code Criteria.optModelPath} makes) that hold a BLIP model: a
 *       HuggingFace directory whose {@code config.json} says {@code model_type: blip}, an original
 *       checkpoint ({@code .pth}/{@code .bin}), or its folder ({@code med_config.json} or
 *       {@code blip_config.json} beside it). DJL's PyTorch engine would look for a TorchScript
 *       {@code .pt} file there and fail; a {@link BlipRepository} tells it to load blip4j instead.
 *       Every other {@code file:} location gets the repository DJL itself would give it.</li>
 * </ul>
 */
public final class BlipRepositoryFactory implements RepositoryFactory {

    @Override
    public Repository newInstance(String name, URI uri) {
        if (!"file".equalsIgnoreCase(uri.getScheme())) {
            return new BlipRepository(name, uri);
        }
        Path path = BlipRepository.filePath(uri);
        if (isBlipModel(path)) {
            return new BlipRepository(name, uri);
        }
        return djlLocalRepository(name, uri, path);
    }

    @Override
    public Set<String> getSupportedScheme() {
        return Set.of(BlipRepository.SCHEME, "file");
    }

    /** Whether {@code path} holds a BLIP model that blip4j loads (and DJL's engine could not). */
    static boolean isBlipModel(Path path) {
        if (Files.isRegularFile(path)) {
            String file = path.getFileName().toString().toLowerCase(Locale.ROOT);
            return file.endsWith(".pth") || file.endsWith(".bin") && isBlipModel(path.getParent());
        }
        if (!Files.isDirectory(path)) {
            return false;
        }
        if (Files.isRegularFile(path.resolve("med_config.json")) || Files.isRegularFile(path.resolve("blip_config.json"))) {
            return true;
        }
        Path config = path.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return false;
        }
        try (Reader r = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
            JsonElement json = JsonParser.parseReader(r);
            JsonObject o = json.isJsonObject() ? json.getAsJsonObject() : null;
            return o != null && o.has("model_type") && o.get("model_type").isJsonPrimitive()
                    && o.get("model_type").getAsString().toLowerCase(Locale.ROOT).startsWith("blip");
        } catch (IOException | RuntimeException e) {
            return false; // not a config blip4j can read: DJL's own repository decides
        }
    }

    /**
     * What DJL's own {@code file:} factory returns (DJL 0.36, {@code RepositoryFactoryImpl}): a
     * local repository when a sub-folder holds a {@code metadata.json}, else a simple one.
     */
    private static Repository djlLocalRepository(String name, URI uri, Path path) {
        if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.walk(path)) {
                if (files.anyMatch(f -> Files.isRegularFile(f) && !path.equals(f.getParent())
                        && "metadata.json".equals(f.getFileName().toString()))) {
                    return new LocalRepository(name, path.toUri(), path) {};
                }
            } catch (IOException e) {
                // as DJL: fall back to a simple repository
            }
        }
        return new SimpleRepository(name, uri, path) {};
    }
}
