package dev.blip4j.models.image;

import dev.blip4j.core.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Which files of a folder are images, by extension: what the loader decodes. */
public final class ImageFiles {

    /** Lower-case extensions of the formats {@link ImageLoader} reads. */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp");

    private ImageFiles() {}

    /** Whether the file name ends with one of {@link #EXTENSIONS}, in any case. */
    public static boolean isImageName(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * The image files of a folder, sorted by path.
     *
     * @param recursive descend into sub-folders
     * @throws InputException if the folder cannot be listed
     */
    public static List<Path> list(Path folder, boolean recursive) {
        if (!Files.isDirectory(folder)) {
            throw new InputException(folder + ": no such folder");
        }
        try (Stream<Path> files = recursive ? Files.walk(folder) : Files.list(folder)) {
            return files.filter(Files::isRegularFile).filter(ImageFiles::isImageName).sorted().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new InputException("cannot list folder " + folder + " (" + e.getMessage() + ")", e);
        }
    }
}
