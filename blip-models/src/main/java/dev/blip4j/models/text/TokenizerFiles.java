package dev.blip4j.models.text;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a tokenizer as the files of a HuggingFace model directory, as BLIP's
 * {@code init_tokenizer()} followed by {@code save_pretrained} would: {@code tokenizer.json} (fast
 * tokenizer, {@code [DEC]}/{@code [ENC]} as special added tokens), {@code vocab.txt} (the WordPiece
 * vocabulary, one token per line in id order), {@code added_tokens.json},
 * {@code tokenizer_config.json} ({@code BertTokenizer}, lower-casing, {@code [DEC]} as bos) and
 * {@code special_tokens_map.json}. transformers and blip4j load the result alike.
 */
public final class TokenizerFiles {

    /** bert-base-uncased's {@code model_max_length}, what every BLIP tokenizer config carries. */
    private static final int MODEL_MAX_LENGTH = 512;

    private TokenizerFiles() {}

    public static void write(BlipTokenizer tokenizer, Path dir) throws IOException {
        Files.createDirectories(dir);
        JsonObject root = JsonParser.parseString(tokenizer.tokenizerJson()).getAsJsonObject();
        write(dir.resolve("tokenizer.json"), root);

        JsonObject vocab = root.getAsJsonObject("model").getAsJsonObject("vocab");
        Map<Long, String> byId = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
            byId.put(e.getValue().getAsLong(), e.getKey());
        }
        StringBuilder lines = new StringBuilder();
        for (String token : byId.values()) {
            lines.append(token).append('\n');
        }
        Files.writeString(dir.resolve("vocab.txt"), lines, StandardCharsets.UTF_8);

        JsonObject added = new JsonObject();
        JsonArray addedTokens = root.getAsJsonArray("added_tokens");
        for (JsonElement e : addedTokens) {
            JsonObject t = e.getAsJsonObject();
            String content = t.get("content").getAsString();
            if (!vocab.has(content)) {
                added.addProperty(content, t.get("id").getAsLong());
            }
        }
        write(dir.resolve("added_tokens.json"), added);

        JsonObject special = specialTokens(tokenizer.hasEnc());
        JsonObject config = new JsonObject();
        config.addProperty("tokenizer_class", "BertTokenizer");
        config.addProperty("processor_class", tokenizer.hasEnc() ? "BlipProcessor" : "Blip2Processor");
        config.addProperty("do_lower_case", true);
        config.addProperty("do_basic_tokenize", true);
        config.add("never_split", JsonNull.INSTANCE);
        config.addProperty("tokenize_chinese_chars", true);
        config.add("strip_accents", JsonNull.INSTANCE);
        config.addProperty("model_max_length", MODEL_MAX_LENGTH);
        for (Map.Entry<String, JsonElement> e : special.entrySet()) {
            config.add(e.getKey(), e.getValue().deepCopy());
        }
        write(dir.resolve("tokenizer_config.json"), config);
        write(dir.resolve("special_tokens_map.json"), special);
    }

    private static JsonObject specialTokens(boolean enc) {
        JsonObject m = new JsonObject();
        m.addProperty("unk_token", TokenizerJson.UNK);
        m.addProperty("sep_token", TokenizerJson.SEP);
        m.addProperty("pad_token", TokenizerJson.PAD);
        m.addProperty("cls_token", TokenizerJson.CLS);
        m.addProperty("mask_token", TokenizerJson.MASK);
        m.addProperty("bos_token", TokenizerJson.DEC);
        if (enc) {
            JsonArray additional = new JsonArray();
            additional.add(TokenizerJson.ENC);
            m.add("additional_special_tokens", additional);
        }
        return m;
    }

    private static void write(Path file, JsonObject json) throws IOException {
        String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create().toJson(json);
        Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
    }
}
