package dev.blip4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Parameters;

/**
 * Images as positional arguments, {@code IMAGE_OR_DIR...}, the same on every command that takes
 * images (a folder means every image in it); a command's own {@code --image}/{@code --images}
 * options add to them.
 */
final class ImageArgs {

    @Parameters(paramLabel = "IMAGE_OR_DIR", arity = "0..*", description = "image files or folders of images")
    List<Path> positional = new ArrayList<>();

    /**
     * The option's images then the positional ones, folders expanded.
     *
     * @param option the command's {@code --image} values (may be null or empty)
     * @param recursive whether folders are searched in sub-folders too
     * @param optionName how to name the option in the error when there is no image at all
     */
    List<Path> files(List<Path> option, boolean recursive, String optionName) {
        List<Path> all = new ArrayList<>();
        if (option != null) {
            all.addAll(option);
        }
        all.addAll(positional);
        if (all.isEmpty()) {
            throw new UsageException("Missing required parameter: 'IMAGE_OR_DIR'"
                    + (optionName == null ? "" : " or option '" + optionName + "'"));
        }
        return ImageInputs.expand(all, recursive);
    }
}
