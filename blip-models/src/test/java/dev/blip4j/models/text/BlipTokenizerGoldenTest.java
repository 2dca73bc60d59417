package dev.blip4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every tokenizer case of the golden data (produced by the official BLIP code with transformers
 * 4.15's BertTokenizer), with the tokenizer loaded from the golden tokenizer.json and, separately,
 * built from the golden vocab.txt.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlipTokenizerGoldenTest {

    /** BLIP's default maximum for unpadded, untruncated calls (bert-base model_max_length). */
    private static final int NO_TRUNCATION = 512;

    private final Map<String, BlipTokenizer> tokenizers = new LinkedHashMap<>();
    private JsonObject cases;

    @BeforeAll
    void load() {
        tokenizers.put("tokenizer.json", BlipTokenizer.fromTokenizerJson(Golden.tokenizerDir().resolve("tokenizer.json")));
        tokenizers.put("vocab.txt", BlipTokenizer.fromVocab(Golden.tokenizerDir().resolve("vocab.txt")));
        cases = Golden.json(Golden.tokenizerDir().resolve("tokenizer_cases.json"));
    }

    @AfterAll
    void close() {
        tokenizers.values().forEach(BlipTokenizer::close);
    }

    Stream<String> loaders() {
        return Stream.of("tokenizer.json", "vocab.txt");
    }

    @ParameterizedTest
    @MethodSource("loaders")
    void specialIdsAndVocabSize(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        JsonObject special = cases.getAsJsonObject("special_ids");
        assertEquals(special.get("pad").getAsLong(), tok.padId());
        assertEquals(special.get("unk").getAsLong(), tok.unkId());
        assertEquals(special.get("cls").getAsLong(), tok.clsId());
        assertEquals(special.get("sep").getAsLong(), tok.sepId());
        assertEquals(special.get("mask").getAsLong(), tok.maskId());
        assertEquals(special.get("dec_bos").getAsLong(), tok.decId());
        assertEquals(special.get("enc").getAsLong(), tok.encId());
        assertEquals(cases.get("len_tokenizer").getAsInt(), tok.vocabSize());
        assertEquals(cases.get("vocab_size_base").getAsInt() + 2, tok.vocabSize());

        // all_special_ids: exactly the ids decode(skip_special_tokens=True) drops
        Set<Long> allSpecial = Arrays.stream(Golden.longs(cases.get("all_special_ids"))).boxed().collect(Collectors.toSet());
        assertEquals(Set.of(tok.padId(), tok.unkId(), tok.clsId(), tok.sepId(), tok.maskId(), tok.decId(), tok.encId()),
                allSpecial);
        for (long id = 0; id < tok.vocabSize(); id++) {
            String decoded = tok.decode(new long[] {id});
            assertEquals(allSpecial.contains(id), decoded.isEmpty(), "id " + id + " decodes to '" + decoded + "'");
        }

        JsonObject manifest = Golden.json(Golden.root().resolve("manifest.json"));
        JsonObject manifestIds = manifest.getAsJsonObject("special_token_ids");
        assertEquals(manifestIds.get("bos").getAsLong(), tok.decId());
        assertEquals(manifestIds.get("enc").getAsLong(), tok.encId());
        assertEquals(manifest.get("model_vocab_size").getAsInt(), tok.vocabSize());
    }

    @ParameterizedTest
    @MethodSource("loaders")
    void everyEncodeCase(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        JsonArray encodeCases = cases.getAsJsonArray("encode");
        assertEquals(11, encodeCases.size());
        for (JsonElement element : encodeCases) {
            JsonObject c = element.getAsJsonObject();
            String text = c.get("text").getAsString();
            long[] ids = Golden.longs(c.get("input_ids"));
            List<String> tokens = c.getAsJsonArray("tokens").asList().stream().map(JsonElement::getAsString).toList();

            assertEquals(tokens, tok.tokenize(text), "tokens of '" + text + "'");
            assertArrayEquals(ids, tok.encode(text, NO_TRUNCATION).ids(), "ids of '" + text + "'");
            assertArrayEquals(Golden.longs(c.get("input_ids_truncated_max8")), tok.encode(text, 8).ids(),
                    "ids of '" + text + "' truncated to 8");
            assertEquals(c.get("decode_skip_special").getAsString(), tok.decode(ids), "decode of '" + text + "'");
            assertEquals(c.get("decode_skip_special").getAsString(), tok.decode(ids, true));
            assertEquals(c.get("decode_keep_special").getAsString(), tok.decode(ids, false),
                    "decode keeping special tokens of '" + text + "'");
        }
    }

    @ParameterizedTest
    @MethodSource("loaders")
    void everyDecodeCase(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        JsonArray decodeCases = cases.getAsJsonArray("decode");
        assertEquals(3, decodeCases.size());
        for (JsonElement element : decodeCases) {
            JsonObject c = element.getAsJsonObject();
            long[] ids = Golden.longs(c.get("ids"));
            assertEquals(c.get("decode_skip_special").getAsString(), tok.decode(ids), Arrays.toString(ids));
            assertEquals(c.get("decode_keep_special").getAsString(), tok.decode(ids, false), Arrays.toString(ids));
        }
    }

    /** Special tokens typed in the text: transformers 4.15 treats them as those tokens. */
    @ParameterizedTest
    @MethodSource("loaders")
    void specialTokenTypedInText(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        // the golden case: "[ENC] is special" -> [CLS] [ENC] is [UNK] [SEP]
        assertArrayEquals(new long[] {tok.clsId(), tok.encId(), 83, tok.unkId(), tok.sepId()},
                tok.encode("[ENC] is special", NO_TRUNCATION).ids());
        assertArrayEquals(new long[] {tok.clsId(), tok.sepId(), tok.sepId()}, tok.encode("[SEP]", NO_TRUNCATION).ids());
        assertArrayEquals(new long[] {tok.clsId(), tok.decId(), tok.sepId()}, tok.encode("[DEC]", NO_TRUNCATION).ids());
        // matched case-sensitively before lower-casing, as transformers does: "[enc]" is text
        assertArrayEquals(new long[] {tok.clsId(), 27, tok.unkId(), 29, tok.sepId()},
                tok.encode("[enc]", NO_TRUNCATION).ids());
    }

    @ParameterizedTest
    @MethodSource("loaders")
    void tokenIdsOfEveryGoldenText(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        int checked = 0;
        for (String kind : Golden.KINDS) {
            JsonObject unpadded = Golden.expected(kind).getAsJsonObject("token_ids_unpadded");
            assertEquals(15, unpadded.size(), kind);
            for (Map.Entry<String, JsonElement> e : unpadded.entrySet()) {
                assertArrayEquals(Golden.longs(e.getValue()), tok.encode(e.getKey(), NO_TRUNCATION).ids(),
                        kind + ": '" + e.getKey() + "'");
                checked++;
            }
        }
        assertEquals(90, checked);
    }

    /** Both ways of loading give the same tokenizer. */
    @Test
    void tokenizerJsonAndVocabAgree() {
        BlipTokenizer fromJson = tokenizers.get("tokenizer.json");
        BlipTokenizer fromVocab = tokenizers.get("vocab.txt");
        List<String> texts = new ArrayList<>();
        for (JsonElement c : cases.getAsJsonArray("encode")) {
            texts.add(c.getAsJsonObject().get("text").getAsString());
        }
        texts.addAll(Golden.expected("caption").getAsJsonObject("token_ids_unpadded").keySet());
        texts.addAll(List.of("", " ", "Ünïcödé ÀÉÎ", "猫と犬", "emoji 😀👍🏽", "a\u0000b\u0007c", "[SEP][ENC]x[DEC]",
                "don't we'll", "ΣΑΣ σας", "tab\tnew\nline\r\n", "x".repeat(150)));
        for (String text : texts) {
            assertArrayEquals(fromJson.encode(text, NO_TRUNCATION).ids(), fromVocab.encode(text, NO_TRUNCATION).ids(), text);
            assertEquals(fromJson.tokenize(text), fromVocab.tokenize(text), text);
        }
        for (long id = 0; id < fromJson.vocabSize(); id++) {
            long[] ids = {fromJson.clsId(), id, 5, id, fromJson.sepId()};
            assertEquals(fromJson.decode(ids), fromVocab.decode(ids));
            assertEquals(fromJson.decode(ids, false), fromVocab.decode(ids, false));
        }
        assertEquals(fromJson.vocabSize(), fromVocab.vocabSize());
    }

    @ParameterizedTest
    @MethodSource("loaders")
    void captionsDecodeToGoldenStrings(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        int checked = 0;
        for (String kind : List.of("caption", "caption_posinterp")) {
            JsonObject expected = Golden.expected(kind);
            JsonObject results = expected.getAsJsonObject("results");
            String prompt = Golden.json(Golden.root().resolve(kind).resolve("original/blip_config.json"))
                    .get("prompt").getAsString();
            Map<String, Golden.LongTensor> tensors = Golden.longTensors(Golden.root().resolve(kind).resolve("expected.safetensors"));
            for (Map.Entry<String, JsonElement> mode : results.entrySet()) {
                if (!mode.getValue().isJsonObject() || !mode.getValue().getAsJsonObject().has("decoded_full")) {
                    continue;
                }
                JsonObject r = mode.getValue().getAsJsonObject();
                JsonArray sequences = r.getAsJsonArray("sequences");
                long[][] tensorSequences = tensors.get(mode.getKey() + ".sequences").rows();
                for (int i = 0; i < sequences.size(); i++) {
                    String full = r.getAsJsonArray("decoded_full").get(i).getAsString();
                    long[] ids = Golden.longs(sequences.get(i));
                    assertArrayEquals(ids, tensorSequences[i]);
                    assertEquals(full, tok.decode(ids), kind + " " + mode.getKey() + "[" + i + "]");
                    // BLIP_Decoder.generate returns caption[len(prompt):]
                    assertEquals(r.getAsJsonArray("captions").get(i).getAsString(), full.substring(prompt.length()));
                    checked++;
                }
            }
        }
        assertEquals(24, checked); // caption: 6 modes x 3 images, caption_posinterp: 2 x 3
    }

    @ParameterizedTest
    @MethodSource("loaders")
    void vqaAnswersDecodeToGoldenStrings(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        JsonObject generate = Golden.expected("vqa").getAsJsonObject("results").getAsJsonObject("generate");
        JsonArray sequences = generate.getAsJsonArray("sequences");
        long[][] tensor = Golden.longTensors(Golden.root().resolve("vqa/expected.safetensors")).get("generate.sequences").rows();
        assertEquals(3, sequences.size());
        List<String> expectedAnswers = generate.getAsJsonArray("answers").asList().stream().map(JsonElement::getAsString).toList();
        List<long[]> rows = new ArrayList<>();
        for (int i = 0; i < sequences.size(); i++) {
            long[] ids = Golden.longs(sequences.get(i));
            assertArrayEquals(ids, tensor[i]);
            assertEquals(expectedAnswers.get(i), tok.decode(ids), "answer " + i);
            rows.add(ids);
        }
        assertEquals(expectedAnswers, tok.decodeBatch(rows.toArray(long[][]::new)));
    }

    /** ITM and retrieval: tokenizer(captions, padding='max_length', truncation=True, max_length=35). */
    @ParameterizedTest
    @MethodSource("loaders")
    void itmAndRetrievalBatches(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        for (String kind : List.of("itm", "retrieval")) {
            List<String> captions = captions(kind);
            BatchEncoding batch = tok.encodeBatch(captions, 35, Padding.MAX_LENGTH);
            Map<String, Golden.LongTensor> expected = Golden.longTensors(Golden.root().resolve(kind).resolve("expected.safetensors"));
            Map<String, Golden.LongTensor> inputs = Golden.longTensors(Golden.root().resolve(kind).resolve("inputs.safetensors"));
            assertArrayEquals(new long[] {4, 35}, expected.get("text_input_ids").shape());
            assertBatch(expected.get("text_input_ids"), expected.get("text_attention_mask"), batch, kind);
            assertBatch(inputs.get("captions.input_ids"), inputs.get("captions.attention_mask"), batch, kind + " inputs");
            assertEquals(35, batch.width());
            assertArrayEquals(expected.get("text_input_ids").data(), batch.flatIds());
            assertArrayEquals(expected.get("text_attention_mask").data(), batch.flatAttentionMask());
        }
    }

    /**
     * VQA: questions with padding='longest', truncation=True, max_length=35, first id [ENC];
     * answers with padding='longest', first id [DEC].
     */
    @ParameterizedTest
    @MethodSource("loaders")
    void vqaBatches(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        JsonObject texts = Golden.expected("vqa").getAsJsonObject("texts");
        List<String> questions = texts.getAsJsonArray("questions").asList().stream().map(JsonElement::getAsString).toList();
        List<String> answers = texts.getAsJsonArray("answer_list").asList().stream().map(JsonElement::getAsString).toList();
        Map<String, Golden.LongTensor> expected = Golden.longTensors(Golden.root().resolve("vqa/expected.safetensors"));
        Map<String, Golden.LongTensor> inputs = Golden.longTensors(Golden.root().resolve("vqa/inputs.safetensors"));

        BatchEncoding q = tok.encodeBatch(questions, 35, Padding.LONGEST);
        assertBatch(inputs.get("questions.input_ids"), inputs.get("questions.attention_mask"), q, "questions");
        assertBatch(expected.get("question_input_ids"), expected.get("question_attention_mask"),
                q.withFirstToken(tok.encId()), "questions with [ENC]");

        BatchEncoding a = tok.encodeBatch(answers, NO_TRUNCATION, Padding.LONGEST);
        assertBatch(inputs.get("answers.input_ids"), inputs.get("answers.attention_mask"), a, "answers");
        assertBatch(expected.get("answer_input_ids"), expected.get("answer_attention_mask"),
                a.withFirstToken(tok.decId()), "answers with [DEC]");
    }

    /** Feature extractor: the captions padded to the longest (19), no truncation needed. */
    @ParameterizedTest
    @MethodSource("loaders")
    void featureExtractorBatch(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        BatchEncoding batch = tok.encodeBatch(captions("feature_extractor"), NO_TRUNCATION, Padding.LONGEST);
        Map<String, Golden.LongTensor> expected = Golden.longTensors(Golden.root().resolve("feature_extractor/expected.safetensors"));
        Map<String, Golden.LongTensor> inputs = Golden.longTensors(Golden.root().resolve("feature_extractor/inputs.safetensors"));
        assertBatch(expected.get("padded.input_ids"), expected.get("padded.attention_mask"), batch, "padded");
        assertBatch(inputs.get("captions.input_ids"), inputs.get("captions.attention_mask"), batch, "inputs");
        assertEquals(19, batch.width());
        // the unpadded rows are what BLIP_Base tokenizes one caption at a time
        JsonObject unpadded = Golden.expected("feature_extractor").getAsJsonObject("token_ids_unpadded");
        List<String> captions = captions("feature_extractor");
        for (int i = 0; i < captions.size(); i++) {
            assertArrayEquals(Golden.longs(unpadded.get(captions.get(i))), batch.row(i).ids());
        }
        BatchEncoding ragged = tok.encodeBatch(captions, NO_TRUNCATION, Padding.NONE);
        assertEquals(List.of(4, 11, 19, 11), Arrays.stream(ragged.ids()).map(r -> r.length).toList());
        assertTrue(Arrays.stream(ragged.attentionMask()).flatMapToLong(LongStream::of).allMatch(m -> m == 1));
    }

    /** Captioning prompt: "a picture of " -> [CLS] a picture of [SEP]; the decoder gets [DEC] a picture of. */
    @ParameterizedTest
    @MethodSource("loaders")
    void captionPrompt(String loader) {
        BlipTokenizer tok = tokenizers.get(loader);
        for (String kind : List.of("caption", "caption_posinterp")) {
            Map<String, Golden.LongTensor> inputs = Golden.longTensors(Golden.root().resolve(kind).resolve("inputs.safetensors"));
            JsonObject results = Golden.expected(kind).getAsJsonObject("results");
            Encoding prompt = tok.encode("a picture of ", 40);
            assertArrayEquals(inputs.get("prompt.input_ids").data(), prompt.ids());
            assertArrayEquals(Golden.longs(results.get("prompt_token_ids")), prompt.ids());
            long[] decoderPrompt = prompt.withFirstToken(tok.decId()).ids();
            decoderPrompt = Arrays.copyOf(decoderPrompt, decoderPrompt.length - 1);
            assertArrayEquals(inputs.get("decoder_prompt.input_ids").data(), decoderPrompt);
            assertArrayEquals(Golden.longs(results.get("decoder_prompt_ids")), decoderPrompt);
        }
    }

    /** Every golden model directory's hf/ folder loads (tokenizer.json preferred) and agrees. */
    @Test
    void hfDirectoriesLoad() {
        BlipTokenizer reference = tokenizers.get("tokenizer.json");
        for (String kind : Golden.KINDS) {
            Path hf = Golden.root().resolve(kind).resolve("hf");
            try (BlipTokenizer tok = BlipTokenizer.from(hf)) {
                assertEquals(reference.vocabSize(), tok.vocabSize());
                assertEquals(reference.decId(), tok.decId());
                assertEquals(reference.encId(), tok.encId());
                for (String text : captions(kind)) {
                    assertArrayEquals(reference.encode(text, 35).ids(), tok.encode(text, 35).ids());
                }
            }
        }
    }

    private static List<String> captions(String kind) {
        return Golden.expected(kind).getAsJsonObject("texts").getAsJsonArray("captions").asList().stream()
                .map(JsonElement::getAsString).toList();
    }

    private static void assertBatch(Golden.LongTensor ids, Golden.LongTensor mask, BatchEncoding batch, String what) {
        assertTrue(Arrays.deepEquals(ids.rows(), batch.ids()),
                what + ": ids\nexpected " + Arrays.deepToString(ids.rows()) + "\nactual   " + Arrays.deepToString(batch.ids()));
        assertTrue(Arrays.deepEquals(mask.rows(), batch.attentionMask()),
                what + ": mask\nexpected " + Arrays.deepToString(mask.rows()) + "\nactual   " + Arrays.deepToString(batch.attentionMask()));
        assertEquals(ids.rows().length, batch.size());
    }
}
