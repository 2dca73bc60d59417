package dev.blip4j.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.InputException;
import dev.blip4j.core.Precision;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.hub.DownloadProgress;
import dev.blip4j.models.hub.HubSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How to load a model, whatever names it: hub access, tokenizer, image size, device, weight type, threads. */
final class LoadOptions {

    @Option(names = "--offline", description = "never touch the network: a model id must be in the "
            + "HuggingFace cache already (as HF_HUB_OFFLINE=1)")
    boolean offline;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "a tokenizer.json, a vocab.txt, or a directory holding one "
                    + "(default: the model's own, else the shipped bert-base-uncased vocabulary)")
    Path tokenizer;

    @Option(names = "--image-size", paramLabel = "N",
            description = "run at another image size, interpolating the position embeddings")
    Integer imageSize;

    @Option(names = "--device", paramLabel = "cpu|gpu", defaultValue = "cpu", description = "where to run (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--dtype", paramLabel = "float32|float16|bfloat16", defaultValue = "float32",
            description = "weight type (default: ${DEFAULT-VALUE}); bfloat16 keeps the linear layers' weights in "
                    + "bfloat16 and the rest in float32, and needs a CPU with AVX512_BF16")
    String dtype;

    @Option(names = "--quantize", paramLabel = "int8",
            description = "keep the linear layers' weights as int8 and run them dynamically quantized (fbgemm), "
                    + "as PyTorch's quantize_dynamic; faster, approximately equal outputs")
    String quantize;

    // made here, not only by picocli: blip-spark's executors build LoadOptions without a command line
    @Mixin
    EngineThreads threads = new EngineThreads();

    /** The model; a loading option it refuses (image size, weight type) is bad usage, exit 2. */
    BlipModel load(String model) {
        try {
            return builder(model).load();
        } catch (InputException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The loading options given on the command line, download progress on stderr; sets {@code --threads}. */
    BlipModel.Builder builder(String model) {
        applyThreads();
        HubSettings hub = HubSettings.fromEnvironment();
        return BlipModel.builder(model).tokenizer(tokenizer).imageSize(imageSize).device(device()).dtype(dtype())
                .precision(precision()).hub(hub).offline(offline)
                .downloadProgress(hub.progressBars() ? new DownloadBars(new PrintWriter(System.err, true))
                        : DownloadProgress.NONE);
    }

    /** Sets the engine's intra-op threads when {@code --threads} was given. */
    void applyThreads() {
        threads.apply();
    }

    /** {@code --threads} as given, or null. */
    Integer threads() {
        return threads.threads;
    }

    Device device() {
        return switch (device.toLowerCase(Locale.ROOT)) {
            case "cpu" -> Device.cpu();
            case "gpu", "cuda" -> Device.gpu();
            default -> throw new UsageException("--device must be cpu or gpu, got " + device);
        };
    }

    /** The type the weights are loaded in: bfloat16 loads float32 and reduces the linear layers ({@link #precision}). */
    DataType dtype() {
        return switch (dtype.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "bfloat16", "bf16" -> DataType.FLOAT32;
            case "float16", "fp16" -> DataType.FLOAT16;
            default -> throw new UsageException("--dtype must be float32, float16 or bfloat16, got " + dtype);
        };
    }

    /** How the linear layers keep their weights: --dtype bfloat16, --quantize int8, else as loaded. */
    Precision precision() {
        boolean bf16 = dtype.equalsIgnoreCase("bfloat16") || dtype.equalsIgnoreCase("bf16");
        if (quantize == null) {
            return bf16 ? Precision.BFLOAT16 : Precision.FLOAT;
        }
        if (!quantize.equalsIgnoreCase("int8")) {
            throw new UsageException("--quantize must be int8, got " + quantize);
        }
        if (dtype() != DataType.FLOAT32 || bf16) {
            throw new UsageException("--quantize int8 starts from float32 weights: drop --dtype " + dtype);
        }
        return Precision.INT8;
    }

    /** The weights' description for reports: float32, float16, bfloat16 or int8. */
    String describe() {
        return switch (precision()) {
            case BFLOAT16 -> "bfloat16";
            case INT8 -> "int8";
            case FLOAT -> dtype().toString().toLowerCase(Locale.ROOT);
        };
    }
}
