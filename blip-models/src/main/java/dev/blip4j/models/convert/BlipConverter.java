package dev.blip4j.models.convert;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.blip4j.core.BlipKind;
import dev.blip4j.core.InputException;
import dev.blip4j.core.ModelException;
import dev.blip4j.core.vision.VisionTransformer;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.BlipAssembler;
import dev.blip4j.models.checkpoint.DType;
import dev.blip4j.models.checkpoint.KeyNames;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.ModelFiles;
import dev.blip4j.models.checkpoint.NetworkLoader;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.config.HfConfigWriter;
import dev.blip4j.models.text.TokenizerFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Converts a checkpoint (an original Salesforce {@code .pth}, or any layout blip4j loads) into a
 * HuggingFace directory, as transformers' {@code convert_blip_original_pytorch_to_hf.py} followed by
 * {@code save_pretrained} would: {@code config.json}, {@code model.safetensors} under HF's names,
 * the tokenizer files with {@code [DEC]}/{@code [ENC]}, and {@code preprocessor_config.json}.
 *
 * <p>Only the tensors of the chosen kind's transformers class are written (a retrieval checkpoint's
 * momentum encoders and queues, position-id buffers and the decoder-bias alias are dropped, as
 * transformers drops them); the LM head's {@code decoder.weight} is written out even where the
 * original ties it to the word embeddings. The position table is written at the size the model
 * was loaded at, resized as loading resizes it. Tensors keep their stored dtype.
 */
public final class BlipConverter {

    /** The parts of the state dict (official names) each kind's transformers class holds. */
    private static final Map<BlipKind, List<String>> PARTS = Map.of(
            BlipKind.CAPTION, List.of("visual_encoder.", "text_decoder."),
            BlipKind.VQA, List.of("visual_encoder.", "text_encoder.", "text_decoder."),
            BlipKind.ITM, List.of("visual_encoder.", "text_encoder.", "vision_proj.", "text_proj.", "itm_head."),
            BlipKind.FEATURE, List.of("visual_encoder.", "text_encoder."),
            BlipKind.PRETRAIN, List.of(""));

    private static final String POS_EMBED = BlipAssembler.VISION + "pos_embed";
    private static final String WORDS = BlipAssembler.DECODER + "embeddings.word_embeddings.weight";
    private static final String LM_DECODER_WEIGHT = BlipAssembler.LM_HEAD + "decoder.weight";
    private static final String LM_DECODER_BIAS = BlipAssembler.LM_HEAD + "decoder.bias";

    private BlipConverter() {}

    /**
     * @param checkpoint a weights file or directory blip4j loads (a {@code .pth} with its
     *     {@code med_config.json} beside it, or an HF directory)
     * @param tokenizer the tokenizer to write, or null for the checkpoint's own (else bert-base-uncased)
     * @param kind the kind to write, or null for what the checkpoint is (see {@link #defaultKind})
     * @param imageSize the image size to write the position table for, or null for the checkpoint's
     * @param out the directory to write (created; files in it are replaced)
     */
    public static HfConversion convert(Path checkpoint, Path tokenizer, BlipKind kind, Integer imageSize, Path out) {
        try (BlipModel model = BlipModel.builder(checkpoint).tokenizer(tokenizer).imageSize(imageSize).load()) {
            if (model.isBlip2()) {
                if (kind != null && kind != BlipKind.ITM) {
                    throw new InputException(checkpoint + " is a BLIP-2 checkpoint; it is written as "
                            + "Blip2ForImageTextRetrieval (--kind itm or none), not as " + kind.name().toLowerCase(Locale.ROOT));
                }
                return Blip2Converter.write(model, ModelFiles.locate(checkpoint), out);
            }
            Set<BlipKind> kinds = model.info().config().kinds();
            if (kinds.contains(BlipKind.NLVR)) {
                throw new ModelException(checkpoint + ": an NLVR2 checkpoint cannot be converted: transformers has no "
                        + "NLVR2 model (BLIP_NLVR's twinned cross-attention); blip4j loads the .pth as it is");
            }
            BlipKind target = kind != null ? kind : defaultKind(kinds);
            if (!kinds.contains(target)) {
                throw new InputException(checkpoint + " is a " + names(kinds) + " checkpoint; it cannot be written as "
                        + target.name().toLowerCase(Locale.ROOT) + " (kinds it can be: " + names(kinds) + ")");
            }
            ModelFiles files = ModelFiles.locate(checkpoint);
            Map<String, TensorData> raw = NetworkLoader.readTensors(files);
            Layout layout = NetworkLoader.layoutOf(raw, files.weights().toString());
            Map<String, TensorData> tensors = hfTensors(raw, layout, target, model);
            List<String> architectures = architectures(target);
            JsonObject config = HfConfigWriter.config(model.info().config(), model.tokenizer(), architectures);
            Files.createDirectories(out);
            SafeTensors.write(out.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            writeJson(out.resolve("config.json"), config);
            writeJson(out.resolve("preprocessor_config.json"), HfConfigWriter.preprocessor(model.preprocessor()));
            TokenizerFiles.write(model.tokenizer(), out);
            return new HfConversion(out, target, architectures, tensors.size(),
                    model.info().config().vision().imageSize(), model.info().checkpointImageSize());
        } catch (IOException e) {
            throw new ModelException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    /**
     * The kind a checkpoint is, most specific first: pre-training (everything), VQA, captioning,
     * image-text matching, feature extraction.
     */
    public static BlipKind defaultKind(Set<BlipKind> kinds) {
        for (BlipKind k : List.of(BlipKind.PRETRAIN, BlipKind.VQA, BlipKind.CAPTION, BlipKind.ITM, BlipKind.FEATURE)) {
            if (kinds.contains(k)) {
                return k;
            }
        }
        throw new ModelException("a checkpoint of no known kind: " + kinds);
    }

    /**
     * transformers' class for a kind. Pre-training checkpoints have no single class: their file
     * holds the captioning and the retrieval classes' tensors, and each loads its part.
     */
    public static List<String> architectures(BlipKind kind) {
        return switch (kind) {
            case CAPTION -> List.of("BlipForConditionalGeneration");
            case ITM -> List.of("BlipForImageTextRetrieval");
            case VQA -> List.of("BlipForQuestionAnswering");
            case FEATURE -> List.of("BlipModel");
            case PRETRAIN -> List.of("BlipForConditionalGeneration", "BlipForImageTextRetrieval");
            case NLVR -> throw new ModelException("transformers has no NLVR2 model to write");
        };
    }

    private static Map<String, TensorData> hfTensors(Map<String, TensorData> raw, Layout layout, BlipKind kind,
            BlipModel model) {
        Map<String, TensorData> official = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : raw.entrySet()) {
            String name = KeyNames.official(e.getKey(), layout);
            if (!KeyNames.ignored(name) && PARTS.get(kind).stream().anyMatch(name::startsWith)) {
                official.put(name, e.getValue());
            }
        }
        // transformers drops the alias of the LM bias on save and writes the head's weight out.
        official.remove(LM_DECODER_BIAS);
        if (official.containsKey(WORDS) && !official.containsKey(LM_DECODER_WEIGHT)) {
            official.put(LM_DECODER_WEIGHT, official.get(WORDS));
        }
        official.put(POS_EMBED, positionTable(official.get(POS_EMBED), model.network().vision()));
        Map<String, TensorData> hf = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : official.entrySet()) {
            String name = KeyNames.hf(e.getKey(), kind == BlipKind.FEATURE);
            if (hf.put(name, e.getValue()) != null) {
                throw new ModelException("two tensors would be written as '" + name + "'");
            }
        }
        return hf;
    }

    /** The stored table, or the loaded model's when loading resized it to another image size. */
    static TensorData positionTable(TensorData stored, VisionTransformer vision) {
        long[] shape = vision.posEmbed().getShape().getShape();
        if (Arrays.equals(shape, stored.shape())) {
            return stored;
        }
        float[] values = vision.posEmbed().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        return new TensorData(DType.F32, shape, data);
    }

    private static String names(Set<BlipKind> kinds) {
        EnumSet<BlipKind> sorted = kinds.isEmpty() ? EnumSet.noneOf(BlipKind.class) : EnumSet.copyOf(kinds);
        return sorted.stream().map(k -> k.name().toLowerCase(Locale.ROOT)).toList().toString();
    }

    static void writeJson(Path file, JsonObject json) throws IOException {
        String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json);
        Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
    }
}
