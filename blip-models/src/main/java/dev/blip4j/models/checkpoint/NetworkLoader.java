package dev.blip4j.models.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.Precision;
import dev.blip4j.core.blip2.Blip2;
import dev.blip4j.models.config.Blip2Hints;
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

    /**
     * A loaded network and what was found.
     *
     * @param network a BLIP network, null for BLIP-2
     * @param blip2 a BLIP-2 network, null for BLIP
     */
    public record Loaded(Blip network, Blip2 blip2, ModelInfo info) {

        public Loaded(Blip network, ModelInfo info) {
            this(network, null, info);
        }

        /** Closes whichever network was loaded. */
        public void close() {
            if (network != null) {
                network.close();
            }
            if (blip2 != null) {
                blip2.close();
            }
        }
    }

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
        Selection selection = new Selection(files.weights().toString());
        Map<String, TensorData> raw;
        int storageTied = 0;
        if (files.isSafetensors()) {
            raw = SafeTensors.read(files.weights(), selection).tensors();
        } else {
            StateDict sd = TorchCheckpoint.read(files.weights(), selection);
            raw = sd.tensors();
            storageTied = sd.sharedTensorCount();
        }
        if (selection.blip2) {
            if (precision != Precision.FLOAT) {
                throw new InputException(files.weights() + " is a BLIP-2 checkpoint, whose layers run as loaded: "
                        + precision.name().toLowerCase(java.util.Locale.ROOT) + " linear layers are for BLIP ones");
            }
            return loadBlip2(files, raw, storageTied, selection.ignored, imageSize, device, dtype);
        }
        Layout layout = selection.layout;
        ConfigHints hints = layout == Layout.HUGGINGFACE && Files.isRegularFile(files.dir().resolve(ConfigFiles.HF_CONFIG))
                ? ConfigFiles.huggingFace(files.dir().resolve(ConfigFiles.HF_CONFIG))
                : layout == Layout.ORIGINAL ? ConfigFiles.original(files.dir()) : ConfigHints.none();
        return load(files.weights(), raw, storageTied, selection.ignored, layout, hints, imageSize, device, dtype,
                precision);
    }

    /** Builds the network of a state dict already in memory (for example a {@link RandomCheckpoint}). */
    public static Loaded load(Path source, Map<String, TensorData> raw, int storageTied, Layout layout,
            ConfigHints hints, Integer imageSize, Device device, DataType dtype) {
        return load(source, raw, storageTied, 0, layout, hints, imageSize, device, dtype, Precision.FLOAT);
    }

    /** As above, with the linear layers' weights kept in {@code precision} (float32 weights only). */
    public static Loaded load(Path source, Map<String, TensorData> raw, int storageTied, Layout layout,
            ConfigHints hints, Integer imageSize, Device device, DataType dtype, Precision precision) {
        return load(source, raw, storageTied, 0, layout, hints, imageSize, device, dtype, precision);
    }

    private static Loaded load(Path source, Map<String, TensorData> raw, int storageTied, int ignoredUnread,
            Layout layout, ConfigHints hints, Integer imageSize, Device device, DataType dtype, Precision precision) {
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
                    ignoredUnread + weights.ignored().size(), Math.max(storageTied, weights.tiedCount()),
                    grid * network.config().vision().patchSize());
            return new Loaded(network, info);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** A BLIP-2 checkpoint of either layout, with LAVIS's separate ViT file when it needs one. */
    private static Loaded loadBlip2(ModelFiles files, Map<String, TensorData> raw, int storageTied, int ignoredUnread,
            Integer imageSize, Device device, DataType dtype) {
        Layout layout = blip2Layout(raw);
        Blip2Hints hints = blip2Hints(files, layout);
        Blip2Files.Merged merged = blip2Tensors(files, raw, layout, hints);
        return loadBlip2(files.weights(), merged.tensors(), storageTied, ignoredUnread + merged.ignored(), layout, hints,
                imageSize, device, dtype);
    }

    /** {@code vision_model.*} / {@code qformer.*} is transformers' naming, the rest LAVIS's. */
    public static Layout blip2Layout(Map<String, TensorData> raw) {
        return blip2Layout(raw.keySet());
    }

    private static Layout blip2Layout(Collection<String> names) {
        return names.stream().anyMatch(k -> k.startsWith("vision_model.") || k.startsWith("qformer."))
                ? Layout.HUGGINGFACE : Layout.ORIGINAL;
    }

    /** {@code blip2_config.json} beside a LAVIS checkpoint, or a BLIP-2 {@code config.json} in an HF directory. */
    public static Blip2Hints blip2Hints(ModelFiles files, Layout layout) {
        Path hfConfig = files.dir().resolve(ConfigFiles.HF_CONFIG);
        return layout == Layout.ORIGINAL ? ConfigFiles.blip2Original(files.dir())
                : ConfigFiles.isBlip2HuggingFace(hfConfig) ? ConfigFiles.blip2HuggingFace(hfConfig) : Blip2Hints.none();
    }

    /**
     * A BLIP-2 checkpoint's tensors, with LAVIS's separate {@code eva_vit_g.pth} merged in when a
     * LAVIS checkpoint leaves the frozen ViT out.
     */
    public static Blip2Files.Merged blip2Tensors(ModelFiles files, Map<String, TensorData> raw, Layout layout,
            Blip2Hints hints) {
        if (layout == Layout.HUGGINGFACE || raw.keySet().stream().anyMatch(k -> k.startsWith(Blip2Assembler.VISION))) {
            return new Blip2Files.Merged(raw, 0);
        }
        Integer depth = hints.base().visionDepth();
        TensorData ln = raw.get(Blip2Assembler.LN_VISION + ".weight");
        if (depth == null && ln != null && ln.shape()[0] == Blip2Assembler.EVA_G_WIDTH) {
            depth = Blip2Assembler.EVA_G_DEPTH;
        }
        return Blip2Files.withVit(raw, files.dir().resolve(Blip2Files.EVA_VIT_G), depth);
    }

    /**
     * Builds a BLIP-2 network of a state dict already in memory (e.g. a {@link RandomCheckpoint}).
     *
     * @param ignoredElsewhere tensors already left out before (from a separate ViT file)
     */
    public static Loaded loadBlip2(Path source, Map<String, TensorData> raw, int storageTied, int ignoredElsewhere,
            Layout layout, Blip2Hints hints, Integer imageSize, Device device, DataType dtype) {
        NDManager manager = BlipEngine.newManager(device);
        try {
            Weights weights = new Weights(source.getFileName().toString(), raw, layout, KeyNames.BLIP2, manager, dtype);
            Blip2 network = Blip2Assembler.assemble(weights, hints, layout, imageSize, manager);
            long[] pos = weights.shape(Blip2Assembler.VISION + "pos_embed");
            int grid = (int) Math.round(Math.sqrt(pos[1] - 1));
            ModelInfo info = new ModelInfo(source, layout, null, weights.parameterCount(),
                    weights.ignored().size() + ignoredElsewhere, Math.max(storageTied, weights.tiedCount()),
                    grid * network.config().vision().patchSize(), network.config());
            return new Loaded(null, network, info);
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
        Selection selection = new Selection(files.weights().toString());
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
     * The tensors a BLIP or BLIP-2 network takes, chosen from the names alone: those inference
     * ignores (momentum encoders, queues) are not read, and a name no network of the family takes
     * refuses the file before a byte of tensor data is read.
     */
    private static final class Selection implements TensorSelection {
        private final String source;
        private Layout layout;
        private boolean blip2;
        private int ignored;

        Selection(String source) {
            this.source = source;
        }

        @Override
        public Set<String> select(List<String> names) {
            blip2 = Blip2Assembler.isBlip2(names);
            layout = blip2 ? blip2Layout(names) : layoutOf(names, source);
            KeyNames table = blip2 ? KeyNames.BLIP2 : KeyNames.BLIP;
            Set<String> wanted = new LinkedHashSet<>();
            List<String> unknown = new ArrayList<>();
            List<String> unknownOfficial = new ArrayList<>();
            for (String name : names) {
                String official = table.toOfficial(name, layout);
                if (table.isIgnored(official)) {
                    ignored++;
                } else if (table.isKnown(official)) {
                    wanted.add(name);
                } else {
                    unknown.add(name);
                    unknownOfficial.add(official);
                }
            }
            if (!unknown.isEmpty()) {
                if (blip2) {
                    Blip2Assembler.refuseVariants(source, unknownOfficial);
                }
                throw Weights.unexpected(source, unknown);
            }
            return wanted;
        }
    }
}
