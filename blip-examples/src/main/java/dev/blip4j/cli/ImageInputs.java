package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Expands the image arguments of a command: files as given, folders to the images in them. */
final class ImageInputs {

    static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp");

    private ImageInputs() {}

    /**
     * @param recursive descend into sub-folders
     * @return files in argument order, each folder's images sorted by path
     */
    static List<Path> expand(List<Path> args, boolean recursive) {
        List<Path> out = new ArrayList<>();
        for (Path p : args) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = recursive ? Files.walk(p) : Files.list(p)) {
                    List<Path> images = files.filter(Files::isRegularFile).filter(ImageInputs::isImageName).sorted().toList();
                    if (images.isEmpty()) {
                        throw new InputException(p + ": no images in this folder (looked for " + String.join(", ",
                                EXTENSIONS.stream().sorted().toList()) + (recursive ? ", in sub-folders too" : "") + ")");
                    }
                    out.addAll(images);
                } catch (IOException | java.io.UncheckedIOException e) {
                    throw new InputException(p + ": cannot list the folder (" + e.getMessage() + ")", e);
                }
            } else {
                out.add(p);
            }
        }
        return out;
    }

    static boolean isImageName(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
