package dev.blip4j.spark;

import dev.blip4j.cli.CapFiltArgs;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkFiles;

/**
 * How an executor loads one model: what the driver's command line said, shipped to executors.
 *
 * <p>A path that does not exist on the executor is looked up among the files Spark shipped with the
 * job ({@code spark-submit --files model.pth,vocab.txt}, found by file name with
 * {@link SparkFiles#get}); archives ({@code --archives hf.zip#captioner}) are unpacked into the
 * executor's working folder, where a relative path ({@code captioner}) finds them.
 *
 * @param path model directory or checkpoint file
 * @param tokenizer tokenizer file or directory, or null for the model's own
 * @param imageSize run at another image size, or null
 * @param device {@code cpu} or {@code gpu}
 * @param dtype {@code float32}, {@code float16} or {@code bfloat16}
 */
public record ModelSpec(String path, String tokenizer, Integer imageSize, String device, String dtype)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Loads the model in this JVM. */
    public BlipModel load() {
        return CapFiltArgs.load(locate(path), tokenizer == null ? null : locate(tokenizer), imageSize, device, dtype);
    }

    /** The path itself when it exists here, else the file Spark shipped under its name. */
    static Path locate(String given) {
        Path p = Path.of(given);
        if (Files.exists(p)) {
            return p;
        }
        try {
            Path shipped = Path.of(SparkFiles.get(p.getFileName().toString()));
            if (Files.exists(shipped)) {
                return shipped;
            }
        } catch (RuntimeException e) {
            // no SparkContext here, or nothing shipped: report the path as given
        }
        throw new ModelException(given + ": no such file or folder on this executor (put models on a shared "
                + "file system, or ship them with spark-submit --files / --archives)");
    }
}
