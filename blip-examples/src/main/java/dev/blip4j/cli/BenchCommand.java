package dev.blip4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.BlipConfig;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.ImageTextNetwork;
import dev.blip4j.core.InputException;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.core.generate.Generator;
import dev.blip4j.core.generate.NextTokenModel;
import dev.blip4j.core.text.ReferenceDecoder;
import dev.blip4j.core.text.TransformersDecoder;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.checkpoint.RandomBlip2Checkpoint;
import dev.blip4j.models.checkpoint.RandomCheckpoint;
import dev.blip4j.models.checkpoint.TorchCheckpointWriter;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.FeatureOptions;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.matching.MatchingText;
import dev.blip4j.models.text.Padding;
import dev.blip4j.models.vqa.ImageQuestion;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Speed and memory of every task on a real checkpoint or on a full-size model with seeded random
 * weights, with the image encoder's achieved rate set against a matrix-multiply peak measured in
 * the same run. Captions print their token ids so two implementations can be shown to agree.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure latency, throughput and memory of each task.")
final class BenchCommand implements Callable<Integer> {

    static final List<String> TASKS = List.of("encode-image", "encode-text", "itm", "itm-itc", "caption",
            "caption-hf", "caption-reference", "vqa", "search");

    /** What runs without --tasks: every task but the slow reference structure. */
    static final List<String> DEFAULT_TASKS = List.of("encode-image", "encode-text", "itm", "caption", "vqa");

    @Option(names = "--model", paramLabel = "PATH", description = "a real checkpoint (HF directory or file)")
    String modelPath;

    @Mixin
    LoadOptions load;

    @Option(names = "--random", paramLabel = "tiny|base|large|blip2|blip2-tiny",
            description = "a model with seeded random weights instead of --model: BLIP (tiny, ViT-B base, ViT-L large) "
                    + "or BLIP-2's first stage (blip2: EVA ViT-g/14 at 224 px and a BERT-base Q-Former with 32 queries; "
                    + "blip2-tiny: the golden's shapes)")
    String random;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "seed of the random weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--write-random", paramLabel = "tiny|base|large", description = "write a random checkpoint in the original .pth layout to --out and exit")
    String writeRandom;

    @Option(names = "--kind", paramLabel = "caption|itm|vqa|feature|pretrain", defaultValue = "caption", description = "model class of --write-random (default: ${DEFAULT-VALUE})")
    String kind;

    @Option(names = "--out", paramLabel = "FILE.pth", description = "where --write-random writes")
    Path out;

    @Option(names = "--tasks", split = ",", paramLabel = "TASK", description = "encode-image,encode-text,itm,itm-itc,caption,caption-hf,caption-reference,vqa,search "
                    + "(default: all but itm-itc, caption-hf, caption-reference and search that the model supports; itm "
                    + "scores pairs by ITM alone as the official match_head='itm', itm-itc adds the ITC cosine as blip "
                    + "itm does; caption-reference decodes with the official code's structure, caption-hf with "
                    + "HuggingFace transformers' current one; search queries synthetic gallery indexes, see --gallery)")
    List<String> tasks;

    @Option(names = "--gallery", split = ",", paramLabel = "N", defaultValue = "10000,100000,1000000",
            description = "images of the synthetic gallery indexes the search task queries (default: ${DEFAULT-VALUE})")
    List<Integer> gallerySizes;

    @Option(names = "--gallery-dir", paramLabel = "DIR",
            description = "where the search task writes its synthetic indexes (and, with --random, the ITM "
                    + "checkpoint they belong to) and reuses them on later runs (default: a temporary folder, deleted)")
    Path galleryDir;

    @Option(names = "--queries", paramLabel = "N", defaultValue = "40",
            description = "text queries per gallery size in the search task (default: ${DEFAULT-VALUE})")
    int queries;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,8", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    List<Integer> batchSizes;

    @Option(names = "--images", paramLabel = "N", defaultValue = "8", description = "distinct synthetic images (default: ${DEFAULT-VALUE})")
    int imageCount;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1", description = "(default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "3", description = "(default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--greedy", description = "captions by greedy search instead of beam 3")
    boolean greedy;

    @Option(names = "--memory-captions", paramLabel = "N", defaultValue = "0",
            description = "after the tasks, caption N images one by one and report resident memory every 100 "
                    + "(every 1000 past 2000) and at N")
    int memoryCaptions;

    @Option(names = "--serve", description = "caption through blip serve on loopback with --clients concurrent clients, "
            + "against --requests sequential single calls and one offline batch of them")
    boolean serve;

    @Option(names = "--clients", split = ",", defaultValue = "1,4,8", paramLabel = "N",
            description = "concurrent clients of --serve (default: ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "8",
            description = "captions per --serve measurement, and the offline batch size (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "8",
            description = "the server's --max-batch for --serve (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        if (writeRandom != null) {
            return writeRandomCheckpoint(stdout);
        }
        if ((modelPath == null) == (random == null)) {
            throw new InputException("bench needs exactly one of --model PATH and --random tiny|base|large|blip2");
        }
        BlipEngine.setThreads(load.threads() != null ? load.threads() : Runtime.getRuntime().availableProcessors());
        if (serve) {
            return serveBench(stdout);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", modelPath != null ? modelPath : "random " + random + " seed " + seed);
        report.put("device", load.device().toString());
        report.put("dtype", load.describe());
        report.put("threads", BlipEngine.threads());
        report.put("cores", Runtime.getRuntime().availableProcessors());
        MachineLimits limits = MachineLimits.measure();
        report.put("matmul_peak_gflops", round(limits.mmGflops()));
        report.put("gemm_peak_gflops", round(limits.gemmGflops()));
        report.put("triad_gb_per_s", round(limits.triadGBps()));
        report.put("machine", limits.toJson());
        List<Map<String, Object>> results = new ArrayList<>();
        List<String> wanted = tasks == null ? DEFAULT_TASKS : tasks;
        for (String t : wanted) {
            if (!TASKS.contains(t)) {
                throw new InputException("unknown task '" + t + "' (" + String.join(", ", TASKS) + ")");
            }
        }
        List<RgbImage> images = syntheticImages(imageCount);
        // A random BLIP-2 (4 GB of ViT-g weights) is drawn once and serves every task.
        BlipModel shared = random != null && random.startsWith("blip2") ? randomBlip2() : null;
        try {
            for (String task : wanted) {
                if (task.equals("search")) {
                    results.addAll(new SearchBench(this, limits).run());
                    continue;
                }
                BlipModel model = shared != null ? shared : model(task);
                try {
                    if (!supports(model, task)) {
                        spec.commandLine().getErr().println("skipping " + task + ": this checkpoint is "
                                + (model.isBlip2() ? "BLIP-2's first stage" : model.network().config().kinds()));
                        continue;
                    }
                    for (int batch : batchSizes) {
                        results.add(run(task, model, images, batch, limits));
                    }
                    if (task.equals("caption") && memoryCaptions > 0) {
                        report.put("caption_memory", captionMemory(model, images));
                    }
                    report.put("weights_mb_" + task, MemoryStats.mb(model.info().parameters() * bytesPerWeight()));
                } finally {
                    if (model != shared) {
                        model.close();
                    }
                }
            }
        } finally {
            if (shared != null) {
                shared.close();
            }
        }
        report.put("tasks", results);
        if (common.json) {
            stdout.println(Json.GSON.toJson(report));
        } else {
            print(stdout, report, results);
        }
        stdout.flush();
        return 0;
    }

    private int serveBench(PrintWriter stdout) throws Exception {
        if (requests < 1 || maxBatch < 1 || clients.stream().anyMatch(c -> c < 1)) {
            throw new InputException("--requests, --max-batch and --clients must be at least 1");
        }
        GenerationConfig g = greedy ? GenerationConfig.defaults().withGreedy() : GenerationConfig.captionDefaults();
        try (BlipModel model = model("caption")) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("model", modelPath != null ? modelPath : "random " + random + " seed " + seed);
            report.put("threads", BlipEngine.threads());
            report.put("cores", Runtime.getRuntime().availableProcessors());
            report.putAll(new ServeBench(model, g, syntheticImages(imageCount)).run(clients, requests, maxBatch));
            if (common.json) {
                stdout.println(Json.GSON.toJson(report));
            } else {
                report.forEach((k, v) -> {
                    if (!k.equals("rows")) {
                        stdout.println(k + ": " + v);
                    }
                });
                ServeBench.print(stdout, report);
            }
        }
        stdout.flush();
        return 0;
    }

    private int writeRandomCheckpoint(PrintWriter stdout) throws IOException {
        if (out == null) {
            throw new InputException("--write-random needs --out FILE.pth");
        }
        writeCheckpoint(new RandomCheckpoint(RandomCheckpoint.Size.parse(writeRandom), kindOf(kind), seed), out);
        stdout.println("wrote " + out + " (" + Files.size(out) / 1048576 + " MB) with med_config.json and blip_config.json");
        return 0;
    }

    /** A random checkpoint in the original {@code .pth} layout with the two configuration files beside it. */
    static void writeCheckpoint(RandomCheckpoint spec, Path out) throws IOException {
        TorchCheckpointWriter.write(out, spec.tensors(), TorchCheckpointWriter.Layout.BLIP_MODEL);
        Path dir = out.toAbsolutePath().getParent();
        var h = spec.hints();
        Files.writeString(dir.resolve("med_config.json"), Json.GSON.toJson(Map.ofEntries(
                Map.entry("architectures", List.of("BertModel")), Map.entry("hidden_act", "gelu"),
                Map.entry("hidden_size", h.hidden()), Map.entry("num_hidden_layers", h.layers()),
                Map.entry("num_attention_heads", h.heads()), Map.entry("intermediate_size", h.intermediate()),
                Map.entry("max_position_embeddings", h.maxPositions()), Map.entry("layer_norm_eps", 1e-12),
                Map.entry("vocab_size", h.vocabSize()), Map.entry("type_vocab_size", 2), Map.entry("pad_token_id", 0),
                Map.entry("model_type", "bert"), Map.entry("encoder_width", h.visionWidth()),
                Map.entry("add_cross_attention", true), Map.entry("hidden_dropout_prob", 0.1),
                Map.entry("attention_probs_dropout_prob", 0.1), Map.entry("initializer_range", 0.02))),
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("blip_config.json"), Json.GSON.toJson(Map.of(
                "image_size", h.imageSize(),
                "vit", Map.of("patch_size", h.patchSize(), "width", h.visionWidth(), "depth", h.visionDepth(),
                        "heads", h.visionHeads(), "mlp_ratio", (double) h.visionMlp() / h.visionWidth(),
                        "layer_norm_eps", 1e-6))), StandardCharsets.UTF_8);
    }

    private BlipModel model(String task) {
        if (modelPath != null) {
            return load.load(modelPath);
        }
        BlipKind k = switch (task) {
            case "encode-text", "itm", "itm-itc" -> BlipKind.ITM;
            case "vqa" -> BlipKind.VQA;
            default -> BlipKind.CAPTION;
        };
        return BlipModel.random(new RandomCheckpoint(RandomCheckpoint.Size.parse(random), k, seed), load.device(),
                load.dtype(), load.precision());
    }

    private BlipModel randomBlip2() {
        String size = random.equals("blip2") ? "full" : random.substring("blip2-".length());
        if (load.precision() != dev.blip4j.core.Precision.FLOAT) {
            throw new UsageException("--random " + random + " runs its layers as loaded: drop --dtype bfloat16 and "
                    + "--quantize (they are for BLIP checkpoints)");
        }
        return BlipModel.random(new RandomBlip2Checkpoint(RandomBlip2Checkpoint.Size.parse(size), seed), load.device(),
                load.dtype());
    }

    private static boolean supports(BlipModel model, String task) {
        if (model.isBlip2()) {
            return List.of("encode-image", "encode-text", "itm", "itm-itc").contains(task);
        }
        Blip net = model.network();
        return switch (task) {
            case "encode-image" -> true;
            case "encode-text" -> net.hasEncoder() && net.hasItc();
            case "itm", "itm-itc" -> net.hasEncoder() && net.hasItm();
            case "caption", "caption-hf", "caption-reference" -> net.hasDecoder() && !net.hasEncoder()
                    || net.hasItm() && net.hasDecoder();
            case "vqa" -> net.config().kinds().contains(BlipKind.VQA);
            default -> false;
        };
    }

    /**
     * One measured unit of work of a task at a batch size, through the task's public API.
     *
     * @param tokens the sequences the last run generated (caption, vqa), else empty
     * @param promptLength tokens of each sequence that were not generated
     */
    private record Workload(Runnable work, String unit, Supplier<List<long[]>> tokens, int promptLength,
            AutoCloseable resources) {}

    private Workload workload(String task, BlipModel model, List<RgbImage> images, int batch) {
        List<RgbImage> inputs = cycle(images, batch);
        List<String> texts = cycle(TEXTS, batch);
        List<String> questions = cycle(QUESTIONS, batch);
        List<long[]> tokens = new ArrayList<>();
        AutoCloseable nothing = () -> { };
        return switch (task) {
            case "encode-image" -> {
                ImageTextNetwork net = model.imageTextNetwork();
                NDManager m = net.newManager();
                NDArray pixels = model.pixels(inputs, m);
                yield new Workload(() -> net.encodeImage(pixels).close(), "images/s", List::of, 0, m);
            }
            case "encode-text" -> {
                FeatureExtractor features = new FeatureExtractor(model, FeatureOptions.defaults()
                        .withPadding(Padding.LONGEST).withMaxTextLength(35).withBatchSize(batch));
                yield new Workload(() -> features.texts(texts), "texts/s", List::of, 0, nothing);
            }
            case "itm", "itm-itc" -> {
                ImageTextMatcher matcher = new ImageTextMatcher(model,
                        MatchOptions.defaults().withItc(task.equals("itm-itc")));
                yield new Workload(() -> matcher.matchPairs(inputs, texts), "pairs/s", List::of, 0, nothing);
            }
            case "caption" -> {
                GenerationConfig g = generation();
                Captioner captioner = new Captioner(model,
                        CaptionOptions.defaults().withGeneration(g).withBatchSize(batch));
                Runnable work = () -> {
                    tokens.clear();
                    captioner.caption(inputs).forEach(c -> tokens.add(c.get(0).tokenIds()));
                };
                yield new Workload(work, "captions/s", () -> tokens, captioner.promptIds().length, nothing);
            }
            case "caption-reference", "caption-hf" -> {
                GenerationConfig g = generation();
                Captioner captioner = new Captioner(model, CaptionOptions.defaults().withGeneration(g));
                long[] prompt = captioner.promptIds();
                Blip net = model.network();
                Runnable work = () -> {
                    tokens.clear();
                    try (NDManager m = net.newManager()) {
                        NDArray states = net.encodeImage(model.pixels(inputs, m));
                        java.util.function.Consumer<NextTokenModel> generate = decoder -> Generator.generate(decoder,
                                prompt, inputs.size(), g, model.tokenizer().sepId(), model.tokenizer().padId(), null,
                                null).forEach(s -> tokens.add(s.get(0).ids()));
                        if (task.equals("caption-hf")) {
                            try (TransformersDecoder decoder = net.startTransformersDecoding(states, g.rowsPerInput())) {
                                generate.accept(decoder);
                            }
                        } else {
                            try (ReferenceDecoder decoder = net.startReferenceDecoding(states, g.rowsPerInput())) {
                                generate.accept(decoder);
                            }
                        }
                    }
                };
                yield new Workload(work, "captions/s", () -> tokens, prompt.length, nothing);
            }
            case "vqa" -> {
                List<ImageQuestion> pairs = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    pairs.add(new ImageQuestion(inputs.get(i), questions.get(i)));
                }
                VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model,
                        VqaOptions.defaults().withBatchSize(batch));
                Runnable work = () -> {
                    tokens.clear();
                    vqa.answerAll(pairs).forEach(a -> tokens.add(a.get(0).tokenIds()));
                };
                yield new Workload(work, "answers/s", () -> tokens, 1, nothing);
            }
            default -> throw new IllegalStateException(task);
        };
    }

    private Map<String, Object> run(String task, BlipModel model, List<RgbImage> images, int batch,
            MachineLimits limits) throws Exception {
        Workload w = workload(task, model, images, batch);
        double[] ms = new double[iterations];
        try (AutoCloseable resources = w.resources()) {
            for (int i = 0; i < warmup; i++) {
                w.work().run();
            }
            for (int i = 0; i < iterations; i++) {
                long start = System.nanoTime();
                w.work().run();
                ms[i] = (System.nanoTime() - start) / 1e6;
            }
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("task", task);
        r.put("batch_size", batch);
        r.put("iterations", iterations);
        r.put("latency_ms", Map.of("median", round(median), "min", round(sorted[0]),
                "max", round(sorted[sorted.length - 1])));
        r.put("throughput", round(batch / (median / 1000)));
        r.put("unit", w.unit());
        double peak = limits.gemmGflops();
        if (task.equals("encode-image")) {
            long perImage = model.info().vision().macsPerImage();
            double gflops = 2.0 * perImage * batch / (median / 1000) / 1e9;
            r.put("macs_per_image", perImage);
            r.put("gmac_per_image", Math.round(perImage / 1e6) / 1000.0);
            r.put("gflops", round(gflops));
            r.put("flop_bound_ms", round(2.0 * perImage * batch / (peak * 1e9) * 1000));
            r.put("ratio_to_flop_bound", round(peak / gflops));
        }
        List<long[]> tokens = w.tokens().get();
        if (!model.isBlip2()) { // TaskWork counts BLIP's shapes; BLIP-2 reports the ViT's FLOP bound only
            TaskWork work = work(task, model, batch, tokens, w.promptLength());
            double limit = work.limitSeconds(limits);
            r.put("limit_s", round4(limit));
            r.put("ratio_to_limit", round(median / 1000 / limit));
            r.put("gflop", round(work.flops() / 1e9));
            r.put("mb_moved", round(work.bytes() / 1e6));
            r.put("work", work.toJson(limits));
        }
        if (!tokens.isEmpty()) {
            r.put("tokens_generated", tokens.stream().mapToInt(ids -> ids.length - w.promptLength()).sum());
            r.put("token_ids", List.copyOf(tokens));
        }
        r.put("memory", MemoryStats.now().toJson());
        return r;
    }

    /** The task's least work at this batch ({@link TaskWork}), from the shapes and what the run produced. */
    private TaskWork work(String task, BlipModel model, int batch, List<long[]> tokens, int prompt) {
        Blip net = model.network();
        BlipConfig c = net.config();
        TaskWork work = new TaskWork(c, bytesPerWeight(), net.dtype().getNumOfBytes());
        long imageTokens = c.vision().tokens();
        int width = c.vision().width();
        int hidden = c.text().hidden();
        int longest = tokens.stream().mapToInt(ids -> ids.length).max().orElse(prompt);
        switch (task) {
            case "encode-image" -> work.vision(batch);
            case "encode-text" -> work.textPass("text encoder", batch, textWidth(model, TEXTS, batch), 0, 0)
                    .head("text_proj", batch, hidden, c.embedDim());
            case "itm", "itm-itc" -> {
                work.vision(batch).crossKeyValues(batch, imageTokens, width)
                        .textPass("multimodal encoder", batch, MatchingText.MAX_LENGTH, imageTokens, batch)
                        .head("itm_head", batch, hidden, 2);
                if (task.equals("itm-itc")) {
                    work.textPass("text encoder", batch, MatchingText.MAX_LENGTH, 0, 0)
                            .head("vision_proj", batch, width, c.embedDim()).head("text_proj", batch, hidden, c.embedDim());
                }
            }
            case "caption", "caption-hf", "caption-reference" -> work.vision(batch)
                    .crossKeyValues(batch, imageTokens, width)
                    .decode(batch * generation().rowsPerInput(), prompt, longest, imageTokens, batch);
            case "vqa" -> {
                long question = textWidth(model, QUESTIONS, batch);
                int beams = VqaOptions.defaultGeneration().rowsPerInput();
                work.vision(batch).crossKeyValues(batch, imageTokens, width)
                        .textPass("question encoder", batch, question, imageTokens, batch)
                        .crossKeyValues(batch, question, hidden)
                        .decode(batch * beams, prompt, longest, question, batch);
            }
            default -> throw new IllegalStateException(task);
        }
        return work;
    }

    /** Padded width of the first {@code batch} of {@code texts}, as the tasks tokenise them (longest, at most 35). */
    private static long textWidth(BlipModel model, List<String> texts, int batch) {
        return model.tokenizer().encodeBatch(cycle(texts, batch), MatchingText.MAX_LENGTH, Padding.LONGEST).width();
    }

    GenerationConfig generation() {
        return greedy ? GenerationConfig.defaults().withGreedy() : GenerationConfig.captionDefaults();
    }

    private Map<String, Object> captionMemory(BlipModel model, List<RgbImage> images) {
        Captioner captioner = new Captioner(model, CaptionOptions.defaults().withGeneration(generation()));
        Map<String, Object> m = new LinkedHashMap<>();
        int every = memoryCaptions <= 2000 ? 100 : 1000;
        for (int i = 1; i <= memoryCaptions; i++) {
            captioner.caption(images.get(i % images.size()));
            if (i % every == 0 || i == memoryCaptions) {
                double rss = MemoryStats.mb(MemoryStats.now().rssBytes());
                m.put("rss_mb_after_" + i, rss);
                // a long run shows its trend before it ends
                System.err.printf(Locale.ROOT, "bench: %d captions, resident %.1f MB, live arrays %d%n", i, rss,
                        dev.blip4j.core.BlipEngine.liveArrayCount());
            }
        }
        return m;
    }

    int bytesPerWeight() {
        return switch (load.precision()) {
            case BFLOAT16 -> 2;
            case INT8 -> 1;
            case FLOAT -> load.dtype().getNumOfBytes();
        };
    }

    private static BlipKind kindOf(String name) {
        String k = name.toUpperCase(Locale.ROOT);
        try {
            return BlipKind.valueOf(k);
        } catch (IllegalArgumentException e) {
            throw new InputException("unknown kind '" + name + "' (caption, itm, vqa, feature, pretrain)");
        }
    }

    /** Deterministic 640x480 images with smooth gradients and blocks of colour. */
    static List<RgbImage> syntheticImages(int count) {
        List<RgbImage> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            SplittableRandom random = new SplittableRandom(k);
            int w = 640;
            int h = 480;
            byte[] px = new byte[w * h * 3];
            int[] base = {random.nextInt(256), random.nextInt(256), random.nextInt(256)};
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    boolean block = ((x / 80) + (y / 60) + k) % 3 == 0;
                    for (int c = 0; c < 3; c++) {
                        int v = base[c] + (c == 0 ? x / 4 : c == 1 ? y / 3 : (x + y) / 8) + (block ? 90 : 0);
                        px[(y * w + x) * 3 + c] = (byte) (v & 0xff);
                    }
                }
            }
            out.add(new RgbImage(w, h, px));
        }
        return out;
    }

    private static <T> List<T> cycle(List<T> items, int n) {
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(items.get(i % items.size()));
        }
        return out;
    }

    private static void print(PrintWriter out, Map<String, Object> report, List<Map<String, Object>> results) {
        report.forEach((k, v) -> {
            if (!k.equals("tasks")) {
                out.println(k + ": " + v);
            }
        });
        out.printf("%-13s %5s %12s %12s %12s %14s  %s%n", "task", "batch", "median ms", "min ms", "max ms", "throughput", "extra");
        for (Map<String, Object> r : results) {
            @SuppressWarnings("unchecked")
            Map<String, Object> lat = (Map<String, Object>) r.get("latency_ms");
            String extra = (r.containsKey("gflops") ? r.get("gflops") + " GFLOP/s, "
                    : r.containsKey("tokens_generated") ? r.get("tokens_generated") + " tokens, " : "")
                    + r.get("ratio_to_limit") + "x limit " + r.get("limit_s") + " s";
            out.printf("%-13s %5s %12s %12s %12s %10s %s  %s%n", r.get("task"), r.get("batch_size"), lat.get("median"),
                    lat.get("min"), lat.get("max"), r.get("throughput"), r.get("unit"), extra);
            if (r.containsKey("token_ids")) {
                @SuppressWarnings("unchecked")
                List<long[]> ids = (List<long[]>) r.get("token_ids");
                for (long[] seq : ids) {
                    out.println("    " + Arrays.toString(seq));
                }
            }
        }
        out.println("memory: " + MemoryStats.now().toJson());
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    static double round4(double v) {
        return Math.round(v * 10000) / 10000.0;
    }

    static final List<String> TEXTS = List.of(
            "a woman sitting on the beach with a dog",
            "two men riding bicycles down a busy city street at night",
            "a plate of food with broccoli and rice on a wooden table",
            "a red double decker bus parked next to a tall building",
            "a cat sleeping on a laptop keyboard",
            "a group of children playing soccer in a green park",
            "an airplane flying over snowy mountains under a blue sky",
            "a kitchen with white cabinets and a stainless steel refrigerator");

    static final List<String> QUESTIONS = List.of(
            "where is the woman sitting?", "how many people are there?", "what color is the bus?",
            "is the cat asleep?", "what are the children playing?", "what is in the sky?",
            "what is on the plate?", "is it night?");
}
