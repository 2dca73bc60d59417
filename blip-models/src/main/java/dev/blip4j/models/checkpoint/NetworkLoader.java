package dev.blip4j.models.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.config.ConfigFiles;
import dev.blip4j.models.config.ConfigHints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        BlipTensors selection = new BlipTensors(files.weights().toString());
        Map<String, TensorData> raw;
        int storageTied = 0;
        if (files.isSafetensors()) {
            raw = SafeTensors.read(files.weights(), selection).tensors();
        } else {
            StateDict sd = TorchCheckpoint.read(files.weights(), selection);
            raw = sd.tensors();
            storageTied = sd.sharedTensorCount();
        }
        Layout layout = selection.layout;
        ConfigHints hints = layout == Layout.HUGGINGFACE && Files.isRegularFile(files.dir().resolve(ConfigFiles.HF_CONFIG))
                ? ConfigFiles.huggingFace(files.dir().resolve(ConfigFiles.HF_CONFIG))
                : layout == Layout.ORIGINAL ? ConfigFiles.original(files.dir()) : ConfigHints.none();
        return load(files.weights(), raw, storageTied, selection.ignored, layout, hints, imageSize, device, dtype);
    }

    /** Builds the network of a state dict already in memory (for example a {@link RandomCheckpoint}). */
    public static Loaded load(Path source, Map<String, TensorData> raw, int storageTied, Layout layout,
            ConfigHints hints, Integer imageSize, Device device, DataType dtype) {
        return load(source, raw, storageTied, 0, layout, hints, imageSize, device, dtype);
    }

    private static Loaded load(Path source, Map<String, TensorData> raw, int storageTied, int ignoredUnread,
            Layout layout, ConfigHints hints, Integer imageSize, Device device, DataType dtype) {
        NDManager manager = BlipEngine.newManager(device);
        try {
            Weights weights = new Weights(source.getFileName().toString(), raw, layout, manager, dtype);
            Blip network = BlipAssembler.assemble(weights, hints, layout, imageSize, manager);
            long[] pos = weights.shape(BlipAssembler.VISION + "pos_embed");
            int grid = (int) Math.round(Math.sqrt(pos[1] - 1));
            ModelInfo info = new ModelInfo(source, layout, network.config(), weights.parameterCount(),
                    ignoredUnread + weights.ignored().size(), Math.max(storageTied, weights.tiedCount()),
                    grid * network.config().vision().patchSize());
            return new Loaded(network, info);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The checkpoint's tensors under their stored names, as loading reads them (tensors that share
     * storage in a {@code .pth} are the same instance; those inference ignores are left out).
     */
    public static Map<String, TensorData> readTensors(ModelFiles files) {
        BlipTensors selection = new BlipTensors(files.weights().toString());
        return files.isSafetensors() ? SafeTensors.read(files.weights(), selection).tensors()
                : TorchCheckpoint.read(files.weights(), selection).tensors();
    }

    /** Which naming the tensors follow: {@code visual_encoder.*} is original, {@code vision_model.*} HF. */
    public static Layout layoutOf(Collection<String> names, String source) {
        boolean hf = names.stream().anyMatch(k -> k.startsWith("vision_model."));
        boolean original = names.stream().anyMatch(k -> k.startsWith("visual_encoder."));
        if (hf == original) {
            throw new ModelException(source + ": not a BLIP checkpoint (no "
                    + (hf ? "single" : "") + " 'visual_encoder.*' or 'vision_model.*' tensors)");
        }
        return hf ? Layout.HUGGINGFACE : Layout.ORIGINAL;
    }

    /**
     * The tensors a BLIP network takes, chosen from the names alone: those inference ignores
     * (momentum encoders, queues) are not read, and a name no BLIP network takes refuses the file
     * before a byte of tensor data is read.
     */
    private static final class BlipTensors implements TensorSelection {
        private final String source;
        private Layout layout;
        private int ignored;

        BlipTensors(String source) {
            this.source = source;
        }

        @Override
        public Set<String> select(List<String> names) {
            layout = layoutOf(names, source);
            if (names.stream().anyMatch(n -> n.contains("crossattention.self0") || n.startsWith("cls_head."))) {
                throw new ModelException(source + ": NLVR2 checkpoints (two-image cross-attention) are not supported");
            }
            Set<String> wanted = new LinkedHashSet<>();
            List<String> unknown = new ArrayList<>();
            for (String name : names) {
                String official = KeyNames.official(name, layout);
                if (KeyNames.ignored(official)) {
                    ignored++;
                } else if (KeyNames.known(official)) {
                    wanted.add(name);
                } else {
                    unknown.add(name);
                }
            }
            if (!unknown.isEmpty()) {
                throw Weights.unexpected(source, unknown);
            }
            return wanted;
        }
    }
}
