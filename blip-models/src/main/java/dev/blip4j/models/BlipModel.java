package dev.blip4j.models;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.blip4j.core.Blip;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.Precision;
import dev.blip4j.core.blip2.Blip2;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.ModelInfo;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.checkpoint.RandomBlip2Checkpoint;
import dev.blip4j.models.checkpoint.RandomCheckpoint;
import dev.blip4j.models.hub.DownloadProgress;
import dev.blip4j.models.hub.HubModels;
import dev.blip4j.models.hub.HubSettings;
import dev.blip4j.models.image.ImageLoader;
import dev.blip4j.models.image.ImagePreprocessor;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.BlipTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A loaded BLIP checkpoint with everything needed around the network: its tokenizer, the image
 * transform it was trained with, and what loading found. Task objects ({@link dev.blip4j.models.caption.Captioner},
 * the matcher, VQA and feature extractor) wrap one.
 *
 * <p>A BLIP-2 checkpoint (its first stage: ViT and Q-Former) loads into the same class, holding a
 * {@link Blip2} network instead ({@link #isBlip2()}); image-text matching, features and search work
 * with it, captioning and VQA need BLIP.
 *
 * <p>Immutable and thread-safe: load once, share between request threads. The weights are only
 * read; each call keeps its own state (its arrays in a sub-manager of {@link Blip#newManager()}
 * closed before it returns, the decoder's key/value cache, beams and random state), so concurrent
 * calls give exactly the results they give alone. Holds native memory until {@link #close()},
 * which must not race with calls in flight.
 */
public final class BlipModel implements AutoCloseable {

    private static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";

    private final Blip network;
    private final Blip2 blip2;
    private final BlipTokenizer tokenizer;
    private final ImagePreprocessor preprocessor;
    private final ImageLoader imageLoader;
    private final ModelInfo info;

    private BlipModel(Blip network, Blip2 blip2, BlipTokenizer tokenizer, ImagePreprocessor preprocessor,
            ImageLoader imageLoader, ModelInfo info) {
        this.network = network;
        this.blip2 = blip2;
        this.tokenizer = tokenizer;
        this.preprocessor = preprocessor;
        this.imageLoader = imageLoader;
        this.info = info;
    }

    /** Loads an HF directory or a checkpoint file with every option at its default. */
    public static BlipModel load(Path path) {
        return builder(path).load();
    }

    /**
     * Loads a local directory or weights file, or a model id {@code org/name[@revision]} through
     * the HuggingFace cache (downloading what is missing unless offline), with every option at its
     * default.
     */
    public static BlipModel load(String pathOrModelId) {
        return builder(pathOrModelId).load();
    }

    public static Builder builder(Path path) {
        return new Builder(path, null);
    }

    /**
     * Options for a local directory or weights file, or a model id {@code org/name[@revision]}
     * (an existing path wins, as in transformers' {@code from_pretrained}).
     */
    public static Builder builder(String pathOrModelId) {
        return new Builder(null, pathOrModelId);
    }

    /**
     * A model with seeded random weights ({@link RandomCheckpoint}), for measuring speed and memory
     * without downloading anything. It uses the shipped bert-base-uncased tokenizer.
     */
    public static BlipModel random(RandomCheckpoint spec, Device device, DataType dtype) {
        return random(spec, device, dtype, Precision.FLOAT);
    }

    /** As {@link #random(RandomCheckpoint, Device, DataType)}, with the linear layers in {@code precision}. */
    public static BlipModel random(RandomCheckpoint spec, Device device, DataType dtype, Precision precision) {
        Path name = Path.of("random-" + spec.size().name().toLowerCase(java.util.Locale.ROOT) + "-"
                + spec.kind().name().toLowerCase(java.util.Locale.ROOT) + "-seed" + spec.seed() + ".pth");
        NetworkLoader.Loaded loaded = NetworkLoader.load(name, spec.tensors(), 0, Layout.ORIGINAL, spec.hints(), null,
                device, dtype, precision);
        releaseReplacedWeights();
        try {
            return new BlipModel(loaded.network(), null, BlipTokenizer.bertBaseUncased(),
                    ImagePreprocessor.blip(spec.size().imageSize()), ImageLoader.defaults(), loaded.info());
        } catch (RuntimeException e) {
            loaded.network().close();
            throw e;
        }
    }

    /**
     * The float32 weights that packed layers replaced (see {@code PackedLinear}) were read into
     * direct buffers, which only a collection returns to the system: without one, resident memory
     * would hold both copies until the heap next fills.
     */
    private static void releaseReplacedWeights() {
        System.gc();
    }

    /**
     * A BLIP-2 first stage with seeded random weights ({@link RandomBlip2Checkpoint}), with BLIP-2's
     * tokenizer (bert-base-uncased plus {@code [DEC]}).
     */
    public static BlipModel random(RandomBlip2Checkpoint spec, Device device, DataType dtype) {
        Path name = Path.of("random-blip2-" + spec.size().name().toLowerCase(java.util.Locale.ROOT) + "-seed"
                + spec.seed() + ".pth");
        NetworkLoader.Loaded loaded = NetworkLoader.loadBlip2(name, spec.tensors(), 0, 0, Layout.ORIGINAL, spec.hints(),
                null, device, dtype);
        releaseReplacedWeights();
        try {
            return new BlipModel(null, loaded.blip2(), BlipTokenizer.bertBaseUncasedBlip2(),
                    ImagePreprocessor.blip(spec.size().imageSize()), ImageLoader.defaults(), loaded.info());
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /**
     * The BLIP network.
     *
     * @throws ModelException for a BLIP-2 checkpoint (see {@link #blip2()})
     */
    public Blip network() {
        if (network == null) {
            throw new ModelException(info.weights() + " is a BLIP-2 checkpoint (its first stage: image-text matching, "
                    + "ITC search and features); this needs a BLIP one");
        }
        return network;
    }

    /**
     * The BLIP-2 network.
     *
     * @throws ModelException for a BLIP checkpoint
     */
    public Blip2 blip2() {
        if (blip2 == null) {
            throw new ModelException(info.weights() + " is a BLIP checkpoint, not a BLIP-2 one");
        }
        return blip2;
    }

    /**
     * The network as image-text matching, features and search use it, BLIP or BLIP-2: images
     * with Q ITC embeddings (Q = 1 in BLIP), texts with one, and ITM logits.
     */
    public ImageTextNetwork imageTextNetwork() {
        return blip2 != null ? blip2 : network;
    }

    /** Whether this is a BLIP-2 checkpoint (then {@link #blip2()} holds the network). */
    public boolean isBlip2() {
        return blip2 != null;
    }

    public BlipTokenizer tokenizer() {
        return tokenizer;
    }

    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    public ImageLoader imageLoader() {
        return imageLoader;
    }

    public ModelInfo info() {
        return info;
    }

    /** Decodes an image file with this model's loader (pixel limit, PIL-identical conversion to RGB). */
    public RgbImage readImage(Path file) {
        return imageLoader.load(file);
    }

    /**
     * Decodes image files in order, for the task APIs' {@code Collection<Path>} forms: every image
     * is decoded before any is encoded, so hand a very large collection over in slices (or index
     * it with {@code GalleryIndexer}).
     */
    public List<RgbImage> readImages(Collection<Path> files) {
        List<RgbImage> images = new ArrayList<>(files.size());
        for (Path file : files) {
            images.add(readImage(file));
        }
        return images;
    }

    /** Normalised pixels [B, 3, S, S] of any-sized images, in {@code manager}. */
    public NDArray pixels(List<RgbImage> images, NDManager manager) {
        return preprocessor.toBatch(images, manager);
    }

    @Override
    public void close() {
        tokenizer.close();
        if (network != null) {
            network.close();
        }
        if (blip2 != null) {
            blip2.close();
        }
    }

    /** Loading options; defaults load on the CPU in float32 at the checkpoint's configured size. */
    public static final class Builder {
        private final Path path;
        private final String spec;
        private HubSettings hub;
        private Boolean offline;
        private DownloadProgress downloadProgress;
        private Path tokenizerPath;
        private Integer imageSize;
        private Device device;
        private DataType dtype = DataType.FLOAT32;
        private Precision precision = Precision.FLOAT;
        private ImageLoader imageLoader = ImageLoader.defaults();

        private Builder(Path path, String spec) {
            if (path == null && (spec == null || spec.isBlank())) {
                throw new ModelException("no model given (a directory, a weights file or a model id org/name)");
            }
            this.path = path;
            this.spec = spec;
        }

        /** Hub endpoint, cache and token for model ids (default: {@link HubSettings#fromEnvironment()}). */
        public Builder hub(HubSettings settings) {
            this.hub = settings;
            return this;
        }

        /** Never touch the network: a model id must already be in the cache (as {@code HF_HUB_OFFLINE=1}). */
        public Builder offline(boolean value) {
            this.offline = value;
            return this;
        }

        /** Where download progress goes (default: bars on stderr unless {@code HF_HUB_DISABLE_PROGRESS_BARS}). */
        public Builder downloadProgress(DownloadProgress progress) {
            this.downloadProgress = progress;
            return this;
        }

        /** A {@code tokenizer.json}, a {@code vocab.txt}, or a directory holding one. */
        public Builder tokenizer(Path tokenizer) {
            this.tokenizerPath = tokenizer;
            return this;
        }

        /** Run at another image size, resizing the position embeddings as the official loader does. */
        public Builder imageSize(Integer size) {
            this.imageSize = size;
            return this;
        }

        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        /**
         * How the linear layers keep their weights: {@link Precision#BFLOAT16} or
         * {@link Precision#INT8} for speed (with the float32 weights loaded); default as loaded.
         */
        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /** Weight type: FLOAT32 (default), FLOAT16, or FLOAT64 for numerical checks; bfloat16 is a {@link #precision}. */
        public Builder dtype(DataType dtype) {
            this.dtype = dtype;
            return this;
        }

        public Builder imageLoader(ImageLoader loader) {
            this.imageLoader = loader;
            return this;
        }

        public BlipModel load() {
            if (imageSize != null && imageSize <= 0) {
                throw new InputException("image size must be positive, got " + imageSize);
            }
            ModelFiles files = ModelFiles.locate(path != null ? path : hubModels().locate(spec));
            NetworkLoader.Loaded loaded = NetworkLoader.load(files, imageSize, device, dtype, precision);
            releaseReplacedWeights();
            ModelInfo info = loaded.info();
            try {
                int vocab = info.isBlip2() ? info.blip2().qformer().vocabSize() : info.config().text().vocabSize();
                BlipTokenizer tokenizer = tokenizer(files, info, vocab);
                if (tokenizer.vocabSize() != vocab) {
                    tokenizer.close();
                    throw new ModelException(files.weights() + ": the tokenizer has " + tokenizer.vocabSize()
                            + " tokens (with " + (info.isBlip2() ? "[DEC]" : "[DEC] and [ENC]") + ") but the model's "
                            + "word embeddings have " + vocab + " rows: pass the checkpoint's own vocabulary with --tokenizer");
                }
                return new BlipModel(loaded.network(), loaded.blip2(), tokenizer,
                        preprocessor(files, info.vision().imageSize()), imageLoader, info);
            } catch (RuntimeException e) {
                loaded.close();
                throw e;
            }
        }

        private HubModels hubModels() {
            HubSettings settings = hub != null ? hub : HubSettings.fromEnvironment();
            if (offline != null) {
                settings = settings.withOffline(offline || settings.offline());
            }
            DownloadProgress progress = downloadProgress != null ? downloadProgress
                    : settings.progressBars() ? DownloadProgress.logging() : DownloadProgress.NONE;
            return new HubModels(settings, progress);
        }

        /** The tokenizer, refused before the native library reads it when its size is not the model's. */
        private BlipTokenizer tokenizer(ModelFiles files, ModelInfo info, int vocabSize) {
            boolean blip2 = info.isBlip2();
            if (tokenizerPath != null) {
                return blip2 ? BlipTokenizer.forBlip2(tokenizerPath, vocabSize) : BlipTokenizer.from(tokenizerPath, vocabSize);
            }
            Path dir = files.dir();
            if (Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("vocab.txt"))) {
                return blip2 ? BlipTokenizer.forBlip2(dir, vocabSize) : BlipTokenizer.from(dir, vocabSize);
            }
            if (info.layout() == Layout.HUGGINGFACE) {
                throw new ModelException(dir + ": no tokenizer.json or vocab.txt beside the weights; pass --tokenizer");
            }
            return blip2 ? BlipTokenizer.bertBaseUncasedBlip2() : BlipTokenizer.bertBaseUncased();
        }

        /**
         * The checkpoint's own normalisation (HF {@code preprocessor_config.json}, else CLIP's) at the
         * size the network runs at, which wins over the file's size when they differ.
         */
        private static ImagePreprocessor preprocessor(ModelFiles files, int size) {
            Path config = files.dir().resolve(PREPROCESSOR_CONFIG);
            ImagePreprocessor p = Files.isRegularFile(config)
                    ? ImagePreprocessor.fromHfConfig(config)
                    : ImagePreprocessor.blip(size);
            return p.height() == size && p.width() == size ? p
                    : new ImagePreprocessor(size, size, p.resample(), p.doResize(), p.doRescale(), p.rescaleFactor(),
                            p.doNormalize(), p.mean(), p.std());
        }
    }
}
