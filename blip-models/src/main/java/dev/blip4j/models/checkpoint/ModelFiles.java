package dev.blip4j.models.checkpoint;

import dev.blip4j.core.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a model's files are: the weights file and the folder its configuration and tokenizer
 * files would sit in. Accepts a HuggingFace directory, a directory holding one {@code .pth}, or a
 * weights file ({@code .pth}, {@code .bin}, {@code .safetensors}).
 */
public record ModelFiles(Path weights, Path dir) {

    private static final List<String> HF_WEIGHTS = List.of("model.safetensors", "pytorch_model.bin");

    public static ModelFiles locate(Path path) {
        if (Files.isRegularFile(path)) {
            Path dir = path.toAbsolutePath().getParent();
            return new ModelFiles(path, dir);
        }
        if (!Files.isDirectory(path)) {
            throw new ModelException(path + ": no such model file or directory");
        }
        for (String name : HF_WEIGHTS) {
            if (Files.isRegularFile(path.resolve(name))) {
                return new ModelFiles(path.resolve(name), path);
            }
        }
        try (Stream<Path> files = Files.list(path)) {
            List<Path> candidates = files
                    .filter(p -> p.getFileName().toString().endsWith(".pth")
                            || p.getFileName().toString().endsWith(".safetensors")
                            || p.getFileName().toString().endsWith(".bin"))
                    .sorted()
                    .toList();
            // LAVIS ships BLIP-2's frozen ViT apart from the Q-Former checkpoint: the other file is the model.
            List<Path> models = candidates.stream()
                    .filter(p -> !p.getFileName().toString().equals(Blip2Files.EVA_VIT_G)).toList();
            if (models.size() == 1) {
                return new ModelFiles(models.get(0), path);
            }
            if (candidates.isEmpty()) {
                throw new ModelException(path + ": no weights found (expected model.safetensors, pytorch_model.bin or a .pth file)");
            }
            throw new ModelException(path + ": several weight files, name one: " + candidates);
        } catch (IOException e) {
            throw new ModelException(path + ": cannot list directory (" + e.getMessage() + ")", e);
        }
    }

    public boolean isSafetensors() {
        return weights.getFileName().toString().endsWith(".safetensors");
    }
}
