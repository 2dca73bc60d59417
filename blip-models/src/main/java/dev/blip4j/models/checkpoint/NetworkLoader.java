package dev.blip4j.models.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.Precision;
import dev.blip4j.models.config.ConfigFiles;
import dev.blip4j.models.config.ConfigHints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads a checkpoint of either layout and builds its network. The layout is told by the names
 * inside, not the file extension, so an original state dict saved as safetensors also loads.
 */
public final class NetworkLoader {

    /** A loaded network and what was found. */
    public record Loaded(Blip network, ModelInfo info) {}

    private NetworkLoader() {}

    /**
     * @param imageSize size to run at, or null for the configured size
     * @param device where the weights live
     * @param dtype FLOAT32, or FLOAT16/BFLOAT16 to halve the weights' memory
     */
    public static Loaded load(ModelFiles files, Integer imageSize, Device device, DataType dtype) {
        return load(files, imageSize, device, dtype, Precision.FLOAT);
    }

    /** @param precision how the linear layers keep their weights ({@link Precision}) */
    public static Loaded load(ModelFiles files, Integer imageSize, Device device, DataType dtype,
            Precision precision) {
        Map<String, TensorData> raw;
        int storageTied = 0;
        if (files.isSafetensors()) {
            raw = SafeTensors.read(files.weights()).tensors();
        } else {
            StateDict sd = TorchCheckpoint.read(files.weights());
            raw = sd.tensors();
            storageTied = sd.sharedTensorCount();
        }
        Layout layout = layoutOf(raw, files.weights().toString());
        ConfigHints hints = layout == Layout.HUGGINGFACE && Files.isRegularFile(files.dir().resolve(ConfigFiles.HF_CONFIG))
                ? ConfigFiles.huggingFace(files.dir().resolve(ConfigFiles.HF_CONFIG))
                : layout == Layout.ORIGINAL ? ConfigFiles.original(files.dir()) : ConfigHints.none();
        return load(files.weights(), raw, storageTied, layout, hints, imageSize, device, dtype, precision);
    }

    /** Builds the network of a state dict already in memory (for example a {@link RandomCheckpoint}). */
    public static Loaded load(Path source, Map<String, TensorData> raw, int storageTied, Layout layout,
            ConfigHints hints, Integer imageSize, Device device, DataType dtype) {
        return load(source, raw, storageTied, layout, hints, imageSize, device, dtype, Precision.FLOAT);
    }

    /** As above, with the linear layers' weights kept in {@code precision} (float32 weights only). */
    public static Loaded load(Path source, Map<String, TensorData> raw, int storageTied, Layout layout,
            ConfigHints hints, Integer imageSize, Device device, DataType dtype, Precision precision) {
        if (precision != Precision.FLOAT && dtype != DataType.FLOAT32) {
            throw new InputException(precision + " linear layers start from float32 weights, not " + dtype);
        }
        precision.requireSupported();
        NDManager manager = BlipEngine.newManager(device);
        try {
            Weights weights = new Weights(source.getFileName().toString(), raw, layout, manager, dtype);
            Blip network = BlipAssembler.assemble(weights, hints, layout, imageSize, precision, manager);
            long[] pos = weights.shape(BlipAssembler.VISION + "pos_embed");
            int grid = (int) Math.round(Math.sqrt(pos[1] - 1));
            ModelInfo info = new ModelInfo(source, layout, network.config(), weights.parameterCount(),
                    weights.ignored().size(), Math.max(storageTied, weights.tiedCount()),
                    grid * network.config().vision().patchSize());
            return new Loaded(network, info);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The checkpoint's tensors under their stored names, as loading reads them (tensors that share
     * storage in a {@code .pth} are the same instance).
     */
    public static Map<String, TensorData> readTensors(ModelFiles files) {
        return files.isSafetensors() ? SafeTensors.read(files.weights()).tensors()
                : TorchCheckpoint.read(files.weights()).tensors();
    }

    /** Which naming the tensors follow: {@code visual_encoder.*} is original, {@code vision_model.*} HF. */
    public static Layout layoutOf(Map<String, TensorData> raw, String source) {
        boolean hf = raw.keySet().stream().anyMatch(k -> k.startsWith("vision_model."));
        boolean original = raw.keySet().stream().anyMatch(k -> k.startsWith("visual_encoder."));
        if (hf == original) {
            throw new ModelException(source + ": not a BLIP checkpoint (no "
                    + (hf ? "single" : "") + " 'visual_encoder.*' or 'vision_model.*' tensors)");
        }
        return hf ? Layout.HUGGINGFACE : Layout.ORIGINAL;
    }
}
