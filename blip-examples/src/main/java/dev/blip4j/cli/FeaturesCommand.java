package dev.blip4j.cli;

import com.google.gson.Gson;
import dev.blip4j.core.InputException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.FeatureOptions;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.features.ModelIdentity;
import dev.blip4j.models.features.MultimodalFeatures;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.text.Padding;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Writes BLIP features to a safetensors file. Tensor names (j indexes the texts, i the images, in
 * argument order):
 * <ul>
 *   <li>image mode: {@code image_embeds} [images, tokens, width] (ViT states); with ITC projections
 *       also {@code image_embeds_proj} [images, tokens, embed_dim] and {@code image_feat} [images, embed_dim];</li>
 *   <li>text mode: {@code text_embeds.j} [length_j, hidden], {@code input_ids.j} [length_j]; with
 *       projections also {@code text_embeds_proj.j} [length_j, embed_dim] and {@code text_feat} [texts, embed_dim];</li>
 *   <li>multimodal mode: {@code multimodal_embeds.i.j} [length_j, hidden], {@code input_ids.j} [length_j]
 *       ({@code [ENC]} first, as fed).</li>
 * </ul>
 * A BLIP-2 model writes {@code Blip2Qformer.extract_features}'s, named as LAVIS's golden names them,
 * texts padded together ({@code padding=True}):
 * <ul>
 *   <li>image mode: {@code image_embeds} [images, tokens, width] (ViT after {@code ln_vision}),
 *       {@code query_embeds} [images, queries, hidden], {@code query_feats} [images, queries, embed_dim];</li>
 *   <li>text mode: {@code text_embeds} [texts, length, hidden], {@code text_feats} [texts, length, embed_dim],
 *       {@code text_feat} [texts, embed_dim] (the {@code [CLS]} row), {@code input_ids} and
 *       {@code attention_mask} [texts, length];</li>
 *   <li>multimodal mode: {@code multimodal_embeds} [images, texts, queries, hidden], {@code input_ids} and
 *       {@code attention_mask} [texts, length].</li>
 * </ul>
 * Metadata: {@code format} = {@code blip4j-features}, {@code mode}, {@code model} (the model identity
 * as JSON: weights SHA-256, path, layout, sizes), {@code images} and {@code texts} (JSON arrays).
 */
@Command(name = "features", mixinStandardHelpOptions = true, description = "Write image, text or image-grounded text features to a safetensors file.")
final class FeaturesCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    CommonOptions common;

    @Option(names = "--image", paramLabel = "IMG", description = "an image (or a folder of images); repeat for several")
    List<Path> images = new ArrayList<>();

    @Mixin
    ImageArgs imageArgs;

    @Option(names = "--text", paramLabel = "T", description = "a text; repeat for several")
    List<String> texts = new ArrayList<>();

    @Option(names = "--mode", paramLabel = "image|text|multimodal",
            description = "what to extract (default: image with only images, text with only texts, multimodal with both)")
    String mode;

    @Option(names = "--out", required = true, paramLabel = "FILE.safetensors", description = "the file to write")
    Path out;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8", description = "images or texts per pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<Path> given = new ArrayList<>(images);
        given.addAll(imageArgs.positional);
        List<Path> files = ImageInputs.expand(given, false);
        String chosen = mode != null ? mode.toLowerCase(Locale.ROOT)
                : files.isEmpty() ? "text" : texts.isEmpty() ? "image" : "multimodal";
        switch (chosen) {
            case "image" -> require(!files.isEmpty() && texts.isEmpty(), "--mode image takes --image and no --text");
            case "text" -> require(files.isEmpty() && !texts.isEmpty(), "--mode text takes --text and no --image");
            case "multimodal" -> require(!files.isEmpty() && !texts.isEmpty(),
                    "--mode multimodal needs both --image and --text");
            default -> throw new UsageException("--mode must be image, text or multimodal, got " + mode);
        }
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        PrintWriter o = spec.commandLine().getOut();
        boolean streamed = common.format() == Rows.Format.JSONL;
        try (BlipModel m = model.load()) {
            FeatureExtractor fx = OptionValues.check(spec.commandLine(), () -> {
                FeatureOptions options = FeatureOptions.defaults().withBatchSize(batchSize);
                return new FeatureExtractor(m, m.isBlip2() ? options.withPadding(Padding.LONGEST) : options);
            });
            Consumer<Map<String, Object>> done = streamed ? line -> Rows.jsonLine(o, line, false) : line -> {};
            switch (chosen) {
                case "image" -> {
                    List<ImageFeatures> f = inBatches(files, fx::images, done);
                    if (m.isBlip2()) {
                        blip2Images(f, tensors);
                    } else {
                        images(f, tensors);
                    }
                }
                case "text" -> {
                    // one call: texts are encoded together (BLIP-2 pads them to one length)
                    List<TextFeatures> f = fx.texts(texts);
                    for (int j = 0; j < texts.size(); j++) {
                        done.accept(item("text", texts.get(j), j));
                    }
                    if (m.isBlip2()) {
                        blip2Texts(f, tensors);
                    } else {
                        texts(f, tensors);
                    }
                }
                default -> {
                    List<List<MultimodalFeatures>> f = inBatches(files, batch -> fx.multimodal(batch, texts), done);
                    if (m.isBlip2()) {
                        blip2Multimodal(f, tensors);
                    } else {
                        multimodal(f, tensors);
                    }
                }
            }
            Gson gson = new Gson();
            metadata.put("format", "blip4j-features");
            metadata.put("mode", chosen);
            metadata.put("model", ModelIdentity.of(m).toJson().toString());
            metadata.put("images", gson.toJson(files.stream().map(Path::toString).toList()));
            metadata.put("texts", gson.toJson(texts));
        }
        try {
            SafeTensors.write(out, tensors, metadata);
        } catch (IOException e) {
            throw new InputException(out + ": cannot write (" + e.getMessage() + ")", e);
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        new java.util.TreeMap<>(tensors).forEach((k, v) -> shapes.put(k, v.shape()));
        if (common.json || streamed) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("out", out.toString());
            report.put("mode", chosen);
            report.put("tensors", shapes);
            if (streamed) {
                Rows.jsonLine(o, report, false); // written: the file's summary closes the stream
            } else {
                o.println(Json.GSON.toJson(report));
            }
        } else {
            o.println("tensor\tshape");
            shapes.forEach((k, v) -> o.println(k + "\t" + Arrays.toString(v)));
        }
        o.flush();
        return 0;
    }

    /**
     * The features of image files, {@code --batch-size} at a time (the extractor's own batches, so
     * the numbers are the same as in one call); each image is {@code done} once its batch is.
     */
    private <T> List<T> inBatches(List<Path> files, Function<List<Path>, List<T>> extract,
            Consumer<Map<String, Object>> done) {
        List<T> all = new ArrayList<>(files.size());
        for (int start = 0; start < files.size(); start += batchSize) {
            all.addAll(extract.apply(files.subList(start, Math.min(files.size(), start + batchSize))));
            for (int i = start; i < all.size(); i++) {
                done.accept(item("image", files.get(i).toString(), i));
            }
        }
        return all;
    }

    /** One image's or text's line of {@code --jsonl}: it, and its row in the file's tensors. */
    private static Map<String, Object> item(String kind, String value, int row) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put(kind, value);
        line.put("row", row);
        return line;
    }

    private static void images(List<ImageFeatures> features, Map<String, TensorData> out) {
        int b = features.size();
        ImageFeatures first = features.get(0);
        int n = first.tokens();
        int w = first.width();
        float[] states = new float[b * n * w];
        for (int i = 0; i < b; i++) {
            System.arraycopy(features.get(i).states(), 0, states, i * n * w, n * w);
        }
        out.put("image_embeds", TensorData.ofFloats(new long[] {b, n, w}, states));
        if (first.embedding() != null) {
            int d = first.embedDim();
            float[] feat = new float[b * d];
            float[] proj = new float[b * n * d];
            for (int i = 0; i < b; i++) {
                System.arraycopy(features.get(i).embedding(), 0, feat, i * d, d);
                System.arraycopy(features.get(i).tokenEmbeddings(), 0, proj, i * n * d, n * d);
            }
            out.put("image_feat", TensorData.ofFloats(new long[] {b, d}, feat));
            out.put("image_embeds_proj", TensorData.ofFloats(new long[] {b, n, d}, proj));
        }
    }

    private static void texts(List<TextFeatures> features, Map<String, TensorData> out) {
        float[] feat = null;
        for (int j = 0; j < features.size(); j++) {
            TextFeatures f = features.get(j);
            int len = f.ids().length;
            out.put("input_ids." + j, TensorData.ofLongs(new long[] {len}, f.ids()));
            out.put("text_embeds." + j, TensorData.ofFloats(new long[] {len, f.hidden()}, f.states()));
            if (f.embedding() != null) {
                int d = f.embedding().length;
                out.put("text_embeds_proj." + j, TensorData.ofFloats(new long[] {len, d}, f.tokenEmbeddings()));
                if (feat == null) {
                    feat = new float[features.size() * d];
                }
                System.arraycopy(f.embedding(), 0, feat, j * d, d);
            }
        }
        if (feat != null) {
            out.put("text_feat", TensorData.ofFloats(new long[] {features.size(), feat.length / features.size()}, feat));
        }
    }

    private static void multimodal(List<List<MultimodalFeatures>> features, Map<String, TensorData> out) {
        for (int i = 0; i < features.size(); i++) {
            for (int j = 0; j < features.get(i).size(); j++) {
                MultimodalFeatures f = features.get(i).get(j);
                if (i == 0) {
                    out.put("input_ids." + j, TensorData.ofLongs(new long[] {f.ids().length}, f.ids()));
                }
                out.put("multimodal_embeds." + i + "." + j,
                        TensorData.ofFloats(new long[] {f.ids().length, f.hidden()}, f.states()));
            }
        }
    }

    private static void blip2Images(List<ImageFeatures> features, Map<String, TensorData> out) {
        ImageFeatures first = features.get(0);
        int b = features.size();
        int q = first.queryCount();
        out.put("image_embeds", stack(features.stream().map(ImageFeatures::states).toList(),
                first.tokens(), first.width()));
        out.put("query_embeds", stack(features.stream().map(ImageFeatures::queries).toList(),
                q, first.queries().length / q));
        out.put("query_feats", stack(features.stream().map(ImageFeatures::queryEmbeddings).toList(),
                q, first.embedDim()));
    }

    private static void blip2Texts(List<TextFeatures> features, Map<String, TensorData> out) {
        TextFeatures first = features.get(0);
        int length = first.ids().length;
        int d = first.embedding().length;
        idsAndMask(features.stream().map(TextFeatures::ids).toList(), features.stream().mapToInt(TextFeatures::length)
                .toArray(), out);
        out.put("text_embeds", stack(features.stream().map(TextFeatures::states).toList(), length, first.hidden()));
        out.put("text_feats", stack(features.stream().map(TextFeatures::tokenEmbeddings).toList(), length, d));
        out.put("text_feat", stack(features.stream().map(TextFeatures::embedding).toList(), d));
    }

    private static void blip2Multimodal(List<List<MultimodalFeatures>> features, Map<String, TensorData> out) {
        List<MultimodalFeatures> row = features.get(0);
        MultimodalFeatures first = row.get(0);
        idsAndMask(row.stream().map(MultimodalFeatures::ids).toList(),
                row.stream().mapToInt(MultimodalFeatures::length).toArray(), out);
        List<float[]> states = new ArrayList<>();
        features.forEach(r -> r.forEach(f -> states.add(f.states())));
        out.put("multimodal_embeds", TensorData.ofFloats(new long[] {features.size(), row.size(), first.queries(),
                first.hidden()}, concat(states)));
    }

    /** Texts padded together: their ids and mask, [texts, length]. */
    private static void idsAndMask(List<long[]> ids, int[] lengths, Map<String, TensorData> out) {
        int t = ids.size();
        int length = ids.get(0).length;
        long[] flat = new long[t * length];
        long[] mask = new long[t * length];
        for (int j = 0; j < t; j++) {
            System.arraycopy(ids.get(j), 0, flat, j * length, length);
            Arrays.fill(mask, j * length, j * length + lengths[j], 1L);
        }
        out.put("input_ids", TensorData.ofLongs(new long[] {t, length}, flat));
        out.put("attention_mask", TensorData.ofLongs(new long[] {t, length}, mask));
    }

    /** Equal-sized rows stacked into [rows, dims...]. */
    private static TensorData stack(List<float[]> rows, long... dims) {
        long[] shape = new long[dims.length + 1];
        shape[0] = rows.size();
        System.arraycopy(dims, 0, shape, 1, dims.length);
        return TensorData.ofFloats(shape, concat(rows));
    }

    private static float[] concat(List<float[]> parts) {
        float[] out = new float[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InputException(message);
        }
    }
}
