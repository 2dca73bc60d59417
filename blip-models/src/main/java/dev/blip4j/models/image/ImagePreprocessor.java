package dev.blip4j.models.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.config.JsonText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * BLIP's image transform: resize to {@code height x width} with Pillow's resampler (aspect ratio
 * not kept), then torchvision's {@code ToTensor()} and {@code Normalize(mean, std)}, giving float32
 * CHW tensors.
 *
 * <p>The arithmetic is float32 in torchvision's order so that results are bit-identical:
 * {@code ToTensor} computes {@code x.float().div(255)} and {@code Normalize} computes
 * {@code (x - mean) / std} with mean and std as float32 tensors. HuggingFace's
 * {@code BlipImageProcessor} instead multiplies by {@code rescale_factor} in float64 and can differ
 * by one float32 ulp; a config whose factor is exactly 1/255 is therefore evaluated the torchvision
 * way, other factors as {@code (float) (x * factor)}.
 *
 * @param height output rows (384 for captioning/ITM, 480 for VQA, 224 for the feature extractor)
 * @param width output columns
 * @param resample Pillow filter used for resizing
 * @param doResize resize inputs; when false every input must already be {@code height x width}
 * @param doRescale scale 0..255 to 0..1
 * @param rescaleFactor the scale factor, normally 1/255
 * @param doNormalize subtract {@code mean} and divide by {@code std} per channel
 * @param mean per-channel mean (R, G, B), used in float32
 * @param std per-channel standard deviation (R, G, B), used in float32
 */
public record ImagePreprocessor(int height, int width, ResampleFilter resample, boolean doResize,
        boolean doRescale, double rescaleFactor, boolean doNormalize, float[] mean, float[] std) {

    /** OpenAI CLIP's channel means, used by every BLIP checkpoint. */
    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    /** OpenAI CLIP's channel standard deviations, used by every BLIP checkpoint. */
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    private static final int MAX_SIDE = 16384;
    private static final double ONE_OVER_255 = 1.0 / 255.0;

    /** Validates and copies the arrays, so a preprocessor cannot be changed after construction. */
    public ImagePreprocessor {
        Objects.requireNonNull(resample, "resample");
        Objects.requireNonNull(mean, "mean");
        Objects.requireNonNull(std, "std");
        if (height <= 0 || width <= 0 || height > MAX_SIDE || width > MAX_SIDE) {
            throw new IllegalArgumentException("output size must be 1.." + MAX_SIDE + ", got " + width + "x" + height);
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (R, G, B), got "
                    + mean.length + " and " + std.length);
        }
        for (int c = 0; c < 3; c++) {
            if (!Float.isFinite(mean[c]) || !Float.isFinite(std[c]) || std[c] == 0f) {
                throw new IllegalArgumentException("mean must be finite and std finite and non-zero, got mean "
                        + Arrays.toString(mean) + ", std " + Arrays.toString(std));
            }
        }
        if (!(rescaleFactor > 0) || Double.isInfinite(rescaleFactor)) {
            throw new IllegalArgumentException("rescaleFactor must be positive, got " + rescaleFactor);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** OpenAI CLIP's channel means as BLIP's code spells them (the float fields round them). */
    public static double[] clipMean() {
        return CLIP_MEAN.clone();
    }

    /** OpenAI CLIP's channel standard deviations as BLIP's code spells them. */
    public static double[] clipStd() {
        return CLIP_STD.clone();
    }

    /** BLIP's transform at {@code size x size}: BICUBIC, /255, CLIP mean and std. */
    public static ImagePreprocessor blip(int size) {
        return builder().size(size).build();
    }

    /** A builder starting from {@link #blip(int) blip(384)}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A copy of the per-channel mean. */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** A copy of the per-channel standard deviation. */
    @Override
    public float[] std() {
        return std.clone();
    }

    /** Value equality including the contents of mean and std. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ImagePreprocessor p
                && height == p.height && width == p.width && resample == p.resample
                && doResize == p.doResize && doRescale == p.doRescale
                && Double.compare(rescaleFactor, p.rescaleFactor) == 0 && doNormalize == p.doNormalize
                && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return Objects.hash(height, width, resample, doResize, doRescale, rescaleFactor, doNormalize,
                Arrays.hashCode(mean), Arrays.hashCode(std));
    }

    @Override
    public String toString() {
        return "ImagePreprocessor[" + width + "x" + height + ", " + resample + (doResize ? "" : ", no resize")
                + (doRescale ? ", rescale " + rescaleFactor : "")
                + (doNormalize ? ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) : "") + "]";
    }

    /** Number of floats one image occupies: {@code 3 * height * width}. */
    public int floatsPerImage() {
        return 3 * height * width;
    }

    /**
     * The resized image, or {@code image} itself when it already has the output size or resizing
     * is off.
     */
    public RgbImage resize(RgbImage image) {
        Objects.requireNonNull(image, "image");
        if (!doResize) {
            return image;
        }
        return PilResize.resize(image, width, height, resample);
    }

    /** The model input for one image: {@code 3 * height * width} floats, channel-major (C, H, W). */
    public float[] toChw(RgbImage image) {
        float[] out = new float[floatsPerImage()];
        toChw(image, out, 0);
        return out;
    }

    /**
     * Writes the model input for {@code image} into {@code dst} starting at {@code offset}.
     *
     * @throws InputException if resizing is off and the image has the wrong size
     */
    public void toChw(RgbImage image, float[] dst, int offset) {
        RgbImage resized = resize(image);
        if (resized.width() != width || resized.height() != height) {
            throw new InputException("image is " + resized.width() + "x" + resized.height()
                    + " but this preprocessor does not resize and expects " + width + "x" + height);
        }
        Objects.checkFromIndexSize(offset, floatsPerImage(), dst.length);
        float[][] lut = lookupTables();
        byte[] px = resized.pixels();
        int plane = height * width;
        for (int c = 0; c < 3; c++) {
            float[] t = lut[c];
            int o = offset + c * plane;
            for (int i = 0, p = c; i < plane; i++, p += 3) {
                dst[o + i] = t[px[p] & 0xFF];
            }
        }
    }

    /**
     * One float32 NDArray {@code [B, 3, height, width]} from images of any sizes; images are
     * resized and normalised in parallel.
     */
    public NDArray toBatch(List<RgbImage> images, NDManager manager) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(manager, "manager");
        if (images.isEmpty()) {
            throw new InputException("cannot build a batch from an empty list of images");
        }
        int per = floatsPerImage();
        if ((long) per * images.size() > Integer.MAX_VALUE - 8) {
            throw new InputException("a batch of " + images.size() + " images of " + width + "x" + height
                    + " is too large for one array; split it");
        }
        float[] data = new float[per * images.size()];
        IntStream.range(0, images.size()).parallel()
                .forEach(i -> toChw(Objects.requireNonNull(images.get(i), "images[" + i + "]"), data, i * per));
        return manager.create(data, new Shape(images.size(), 3, height, width));
    }

    /** Float32 value for every channel and byte value, computed in torchvision's operation order. */
    private float[][] lookupTables() {
        boolean torchvisionScale = Math.abs(rescaleFactor - ONE_OVER_255) <= 1e-15;
        float[][] lut = new float[3][256];
        for (int c = 0; c < 3; c++) {
            for (int u = 0; u < 256; u++) {
                float v;
                if (!doRescale) {
                    v = u;
                } else if (torchvisionScale) {
                    v = (float) u / 255f;
                } else {
                    v = (float) (u * rescaleFactor);
                }
                if (doNormalize) {
                    v = (v - mean[c]) / std[c];
                }
                lut[c][u] = v;
            }
        }
        return lut;
    }

    /**
     * Reads a HuggingFace {@code preprocessor_config.json} ({@code BlipImageProcessor}): {@code size}
     * (an int or {@code {height, width}}), {@code resample}, {@code do_resize}, {@code do_rescale},
     * {@code rescale_factor}, {@code do_normalize}, {@code image_mean}, {@code image_std}. Missing
     * keys keep BLIP's defaults; {@code do_convert_rgb} is implied (images are always RGB).
     *
     * @throws ModelException if the file cannot be read or asks for something unsupported
     */
    public static ImagePreprocessor fromHfConfig(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read the preprocessor config: " + e, e);
        }
        return fromHfConfig(json, file.toString());
    }

    /** As {@link #fromHfConfig(Path)}, from the JSON text; {@code name} is used in error messages. */
    public static ImagePreprocessor fromHfConfig(String json, String name) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new ModelException(name + ": preprocessor config must be a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ModelException(name + ": preprocessor config is not valid JSON: " + JsonText.problem(e), e);
        }
        Builder b = builder();
        try {
            if (o.has("size") && !o.get("size").isJsonNull()) {
                JsonElement size = o.get("size");
                if (size.isJsonPrimitive()) {
                    b.size(size.getAsInt());
                } else if (size.isJsonObject()) {
                    JsonObject s = size.getAsJsonObject();
                    if (s.has("height") && s.has("width")) {
                        b.size(s.get("height").getAsInt(), s.get("width").getAsInt());
                    } else {
                        throw new ModelException(name + ": size " + s + " is not supported;"
                                + " BLIP resizes to an exact {height, width}");
                    }
                } else {
                    throw new ModelException(name + ": size must be a number or {height, width}, got " + size);
                }
            }
            if (o.has("do_center_crop") && o.get("do_center_crop").getAsBoolean()) {
                throw new ModelException(name + ": do_center_crop is not supported (BLIP does not crop)");
            }
            if (o.has("resample")) {
                b.resample(ResampleFilter.fromPillowId(o.get("resample").getAsInt()));
            }
            if (o.has("do_resize")) {
                b.doResize(o.get("do_resize").getAsBoolean());
            }
            if (o.has("do_rescale")) {
                b.doRescale(o.get("do_rescale").getAsBoolean());
            }
            if (o.has("rescale_factor")) {
                b.rescaleFactor(o.get("rescale_factor").getAsDouble());
            }
            if (o.has("do_normalize")) {
                b.doNormalize(o.get("do_normalize").getAsBoolean());
            }
            if (o.has("image_mean")) {
                b.mean(triple(o.get("image_mean"), "image_mean", name));
            }
            if (o.has("image_std")) {
                b.std(triple(o.get("image_std"), "image_std", name));
            }
            return b.build();
        } catch (ModelException e) {
            throw e;
        } catch (RuntimeException e) {
            // Gson's type errors (a string where a number belongs) and out-of-range values.
            throw new ModelException(name + ": invalid preprocessor config: " + e.getMessage(), e);
        }
    }

    private static double[] triple(JsonElement e, String key, String name) {
        if (e.isJsonPrimitive()) {
            double v = e.getAsDouble();
            return new double[] {v, v, v};
        }
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            if (a.size() == 3) {
                return new double[] {a.get(0).getAsDouble(), a.get(1).getAsDouble(), a.get(2).getAsDouble()};
            }
        }
        throw new ModelException(name + ": " + key + " must be a number or 3 numbers, got " + e);
    }

    /** Builder; starts from {@code blip(384)}. */
    public static final class Builder {
        private int height = 384;
        private int width = 384;
        private ResampleFilter resample = ResampleFilter.BICUBIC;
        private boolean doResize = true;
        private boolean doRescale = true;
        private double rescaleFactor = ONE_OVER_255;
        private boolean doNormalize = true;
        private double[] mean = CLIP_MEAN.clone();
        private double[] std = CLIP_STD.clone();

        private Builder() {
        }

        /** Square output {@code size x size}. */
        public Builder size(int size) {
            return size(size, size);
        }

        public Builder size(int height, int width) {
            this.height = height;
            this.width = width;
            return this;
        }

        public Builder resample(ResampleFilter resample) {
            this.resample = Objects.requireNonNull(resample, "resample");
            return this;
        }

        public Builder doResize(boolean doResize) {
            this.doResize = doResize;
            return this;
        }

        public Builder doRescale(boolean doRescale) {
            this.doRescale = doRescale;
            return this;
        }

        public Builder rescaleFactor(double rescaleFactor) {
            this.rescaleFactor = rescaleFactor;
            return this;
        }

        public Builder doNormalize(boolean doNormalize) {
            this.doNormalize = doNormalize;
            return this;
        }

        /** Per-channel mean as Python floats; rounded to float32 like {@code torch.as_tensor}. */
        public Builder mean(double... mean) {
            this.mean = Objects.requireNonNull(mean, "mean").clone();
            return this;
        }

        /** Per-channel standard deviation as Python floats; rounded to float32. */
        public Builder std(double... std) {
            this.std = Objects.requireNonNull(std, "std").clone();
            return this;
        }

        public ImagePreprocessor build() {
            return new ImagePreprocessor(height, width, resample, doResize, doRescale, rescaleFactor,
                    doNormalize, toFloats(mean), toFloats(std));
        }

        private static float[] toFloats(double[] v) {
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                f[i] = (float) v[i];
            }
            return f;
        }
    }
}
