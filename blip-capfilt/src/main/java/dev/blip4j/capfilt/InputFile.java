package dev.blip4j.capfilt;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * One file of a CapFilt input: a JSON Lines file or a WebDataset tar shard.
 *
 * @param path the file, as found (relative paths stay relative to the working folder)
 * @param name how keys and image references name it: the path relative to the input folder, or
 *     the file's name when the input is the file itself
 * @param shard a tar shard (else JSON Lines)
 */
public record InputFile(String path, String name, boolean shard) implements Serializable {

    private static final long serialVersionUID = 1L;

    public Path file() {
        return Path.of(path);
    }
}
