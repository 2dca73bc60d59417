package dev.blip4j.cli;

import static dev.blip4j.core.ControlChars.escape;

import dev.blip4j.core.BlipKind;
import dev.blip4j.models.convert.BlipConverter;
import dev.blip4j.models.convert.HfConversion;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "convert", description = "Write a checkpoint (an original .pth, or LAVIS's BLIP-2) as a HuggingFace "
        + "model directory that transformers and blip4j load: config.json, model.safetensors, tokenizer and "
        + "preprocessor files.")
final class ConvertCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE",
            description = "the checkpoint: an original .pth (med_config.json beside it is read when present), "
                    + "or any file or directory blip4j loads")
    Path checkpoint;

    @Option(names = "--kind", paramLabel = "caption|itm|vqa|feature|pretrain",
            description = "which transformers class to write for (default: what the checkpoint is; "
                    + "pretrain keeps every head; a BLIP-2 checkpoint is always Blip2ForImageTextRetrieval)")
    BlipKind kind;

    @Option(names = "--image-size", paramLabel = "N",
            description = "write the position embeddings resized for this image size (default: the checkpoint's)")
    Integer imageSize;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "a tokenizer.json, a vocab.txt, or a directory holding one "
                    + "(default: the checkpoint's own, else the shipped bert-base-uncased vocabulary)")
    Path tokenizer;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the directory to write")
    Path out;

    @Mixin
    EngineThreads threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        threads.apply();
        HfConversion c = BlipConverter.convert(checkpoint, tokenizer, kind, imageSize, out);
        PrintWriter o = spec.commandLine().getOut();
        String kindName = c.architectures().contains("Blip2ForImageTextRetrieval") ? "blip2"
                : c.kind().name().toLowerCase(Locale.ROOT);
        if (common.json) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("out", c.out().toString());
            report.put("kind", kindName);
            report.put("architectures", c.architectures());
            report.put("tensors", c.tensors());
            report.put("image_size", c.imageSize());
            report.put("checkpoint_image_size", c.checkpointImageSize());
            o.println(Json.GSON.toJson(report));
        } else {
            o.println("wrote " + escape(c.out().toString()) + ": " + kindName + " " + c.architectures() + ", " + c.tensors()
                    + " tensors, image size " + c.imageSize()
                    + (c.imageSize() != c.checkpointImageSize() ? " (resized from " + c.checkpointImageSize() + ")" : ""));
        }
        o.flush();
        return 0;
    }
}
