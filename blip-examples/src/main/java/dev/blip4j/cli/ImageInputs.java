package dev.blip4j.cli;

import dev.blip4j.core.InputException;
import dev.blip4j.models.image.ImageFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Expands the image arguments of a command: files as given, folders to the images in them. */
final class ImageInputs {

    private ImageInputs() {}

    /**
     * @param recursive descend into sub-folders
     * @return files in argument order, each folder's images sorted by path
     */
    static List<Path> expand(List<Path> args, boolean recursive) {
        List<Path> out = new ArrayList<>();
        for (Path p : args) {
            if (Files.isDirectory(p)) {
                List<Path> images = ImageFiles.list(p, recursive);
                if (images.isEmpty()) {
                    throw new InputException(p + ": no images in this folder (looked for "
                            + String.join(", ", ImageFiles.EXTENSIONS.stream().sorted().toList())
                            + (recursive ? ", in sub-folders too" : "") + ")");
                }
                out.addAll(images);
            } else {
                out.add(p);
            }
        }
        return out;
    }
}
