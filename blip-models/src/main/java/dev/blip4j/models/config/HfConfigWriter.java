package dev.blip4j.models.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.blip4j.core.BlipConfig;
import dev.blip4j.core.blip2.Blip2Config;
import dev.blip4j.core.text.TextConfig;
import dev.blip4j.core.vision.VisionConfig;
import dev.blip4j.models.image.ImagePreprocessor;
import dev.blip4j.models.text.BlipTokenizer;
import java.math.BigDecimal;
import java.util.List;

/**
 * The JSON of a HuggingFace BLIP directory: {@code config.json} following transformers'
 * {@code BlipConfig} ({@code configuration_blip.py}) with {@code text_config} and
 * {@code vision_config}, and {@code preprocessor_config.json} for {@code BlipImageProcessor}.
 *
 * <p>Everything that shapes the computation is written out rather than left to transformers'
 * defaults, which differ from the original code in places: the vision LayerNorm epsilon (1e-6 in
 * the original ViT, 1e-5 by default in HF) and the label smoothing (0.1 in the original MED).
 */
public final class HfConfigWriter {

    /** transformers' {@code BlipConfig} defaults, used where the checkpoint has no ITC head. */
    private static final int DEFAULT_PROJECTION_DIM = 512;
    private static final int DEFAULT_IMAGE_TEXT_HIDDEN_SIZE = 256;

    private HfConfigWriter() {}

    /**
     * @param architectures the transformers classes the weights are named for
     */
    public static JsonObject config(BlipConfig config, BlipTokenizer tokenizer, List<String> architectures) {
        VisionConfig v = config.vision();
        TextConfig t = config.text();
        JsonObject text = new JsonObject();
        text.addProperty("model_type", "blip_text_model");
        text.addProperty("vocab_size", t.vocabSize());
        text.addProperty("hidden_size", t.hidden());
        // transformers' BlipConfig sets this to the vision width whatever the file says.
        text.addProperty("encoder_hidden_size", v.width());
        text.addProperty("intermediate_size", t.intermediate());
        text.addProperty("num_hidden_layers", t.layers());
        text.addProperty("num_attention_heads", t.heads());
        text.addProperty("max_position_embeddings", t.maxPositions());
        text.addProperty("hidden_act", "gelu");
        text.addProperty("layer_norm_eps", decimal(t.layerNormEps()));
        text.addProperty("hidden_dropout_prob", 0.0);
        text.addProperty("attention_probs_dropout_prob", 0.0);
        text.addProperty("initializer_range", 0.02);
        text.addProperty("bos_token_id", tokenizer.decId());
        text.addProperty("eos_token_id", tokenizer.sepId());
        text.addProperty("pad_token_id", tokenizer.padId());
        text.addProperty("sep_token_id", tokenizer.sepId());
        text.addProperty("is_decoder", true);
        text.addProperty("use_cache", true);
        text.addProperty("label_smoothing", 0.1);

        JsonObject vision = new JsonObject();
        vision.addProperty("model_type", "blip_vision_model");
        vision.addProperty("hidden_size", v.width());
        vision.addProperty("intermediate_size", v.mlpWidth());
        vision.addProperty("num_hidden_layers", v.depth());
        vision.addProperty("num_attention_heads", v.heads());
        vision.addProperty("num_channels", 3);
        vision.addProperty("image_size", v.imageSize());
        vision.addProperty("patch_size", v.patchSize());
        vision.addProperty("hidden_act", "gelu");
        vision.addProperty("layer_norm_eps", decimal(v.layerNormEps()));
        vision.addProperty("attention_dropout", 0.0);
        vision.addProperty("initializer_range", 1e-10);

        JsonObject root = new JsonObject();
        JsonArray arch = new JsonArray();
        architectures.forEach(arch::add);
        root.add("architectures", arch);
        root.addProperty("model_type", "blip");
        boolean itc = config.embedDim() > 0;
        root.addProperty("projection_dim", itc ? config.embedDim() : DEFAULT_PROJECTION_DIM);
        root.addProperty("image_text_hidden_size", itc ? config.embedDim() : DEFAULT_IMAGE_TEXT_HIDDEN_SIZE);
        root.addProperty("logit_scale_init_value", 2.6592);
        root.addProperty("initializer_factor", 1.0);
        root.addProperty("initializer_range", 0.02);
        root.add("text_config", text);
        root.add("vision_config", vision);
        root.addProperty("torch_dtype", "float32");
        return root;
    }

    /**
     * {@code config.json} of transformers' {@code Blip2ForImageTextRetrieval} ({@code Blip2Config} with
     * {@code vision_config} and {@code qformer_config}). {@code ln_vision} has no epsilon of its own
     * there (transformers normalises with the vision {@code layer_norm_eps}); blip4j keeps LAVIS's 1e-5.
     *
     * @param crossAttentionFrequency every how many layers the queries cross-attend
     */
    public static JsonObject blip2Config(Blip2Config config, BlipTokenizer tokenizer, int crossAttentionFrequency) {
        VisionConfig v = config.vision();
        TextConfig q = config.qformer();
        JsonObject vision = new JsonObject();
        vision.addProperty("model_type", "blip_2_vision_model");
        vision.addProperty("hidden_size", v.width());
        vision.addProperty("intermediate_size", v.mlpWidth());
        vision.addProperty("num_hidden_layers", v.depth());
        vision.addProperty("num_attention_heads", v.heads());
        vision.addProperty("image_size", v.imageSize());
        vision.addProperty("patch_size", v.patchSize());
        vision.addProperty("hidden_act", "gelu");
        vision.addProperty("layer_norm_eps", decimal(v.layerNormEps()));
        vision.addProperty("attention_dropout", 0.0);
        vision.addProperty("qkv_bias", true);

        JsonObject qformer = new JsonObject();
        qformer.addProperty("model_type", "blip_2_qformer");
        qformer.addProperty("vocab_size", q.vocabSize());
        qformer.addProperty("hidden_size", q.hidden());
        qformer.addProperty("num_hidden_layers", q.layers());
        qformer.addProperty("num_attention_heads", q.heads());
        qformer.addProperty("intermediate_size", q.intermediate());
        qformer.addProperty("hidden_act", "gelu");
        qformer.addProperty("hidden_dropout_prob", 0.0);
        qformer.addProperty("attention_probs_dropout_prob", 0.0);
        qformer.addProperty("max_position_embeddings", q.maxPositions());
        qformer.addProperty("layer_norm_eps", decimal(q.layerNormEps()));
        qformer.addProperty("pad_token_id", tokenizer.padId());
        qformer.addProperty("position_embedding_type", "absolute");
        qformer.addProperty("cross_attention_frequency", crossAttentionFrequency);
        qformer.addProperty("encoder_hidden_size", v.width());
        qformer.addProperty("use_qformer_text_input", true);

        JsonObject root = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("Blip2ForImageTextRetrieval");
        root.add("architectures", arch);
        root.addProperty("model_type", "blip-2");
        root.addProperty("num_query_tokens", config.queries());
        root.addProperty("image_text_hidden_size", config.embedDim());
        root.addProperty("initializer_factor", 1.0);
        root.addProperty("initializer_range", 0.02);
        root.add("vision_config", vision);
        root.add("qformer_config", qformer);
        root.addProperty("torch_dtype", "float32");
        return root;
    }

    /** {@code preprocessor_config.json} for the transform the model was loaded with. */
    public static JsonObject preprocessor(ImagePreprocessor p) {
        JsonObject o = new JsonObject();
        o.addProperty("do_convert_rgb", true);
        o.addProperty("do_normalize", p.doNormalize());
        o.addProperty("do_rescale", p.doRescale());
        o.addProperty("do_resize", p.doResize());
        o.add("image_mean", floats(p.mean(), ImagePreprocessor.clipMean()));
        o.add("image_std", floats(p.std(), ImagePreprocessor.clipStd()));
        o.addProperty("image_processor_type", "BlipImageProcessor");
        o.addProperty("processor_class", "BlipProcessor");
        o.addProperty("resample", p.resample().pillowId());
        o.addProperty("rescale_factor", p.rescaleFactor());
        JsonObject size = new JsonObject();
        size.addProperty("height", p.height());
        size.addProperty("width", p.width());
        o.add("size", size);
        return o;
    }

    /** The values, spelled as {@code known} spells them where they are those values in float. */
    private static JsonArray floats(float[] values, double[] known) {
        JsonArray a = new JsonArray();
        for (int i = 0; i < values.length; i++) {
            if (values[i] == (float) known[i]) {
                a.add(known[i]);
            } else {
                a.add(decimal(values[i]));
            }
        }
        return a;
    }

    /** The float as its shortest decimal (1e-6f is written 1.0E-6, not 9.99999997e-7). */
    private static BigDecimal decimal(float f) {
        return new BigDecimal(Float.toString(f));
    }
}
