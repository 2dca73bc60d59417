package dev.blip4j.cli;

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
                out.addAll(ImageFiles.list(p, recursive));
            } else {
                out.add(p);
            }
        }
        return out;
    }
}
