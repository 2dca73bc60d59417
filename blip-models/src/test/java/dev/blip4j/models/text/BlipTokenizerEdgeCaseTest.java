package dev.blip4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Inputs users will send sooner or later: nothing, junk, huge texts, any script. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlipTokenizerEdgeCaseTest {

    private BlipTokenizer tiny;
    private BlipTokenizer bert;

    @BeforeAll
    void load() {
        tiny = BlipTokenizer.fromTokenizerJson(Golden.tokenizerDir().resolve("tokenizer.json"));
        bert = BlipTokenizer.bertBaseUncased();
    }

    @AfterAll
    void close() {
        tiny.close();
        bert.close();
    }

    @Test
    void emptyAndWhitespaceOnly() {
        for (BlipTokenizer tok : List.of(tiny, bert)) {
            long[] clsSep = {tok.clsId(), tok.sepId()};
            for (String text : List.of("", " ", "   \t\n\r  ", "\u3000\u00a0\u2028", "\u0000\u0007\u200b")) {
                assertArrayEquals(clsSep, tok.encode(text, 35).ids(), "'" + text + "'");
                assertEquals(List.of(), tok.tokenize(text));
            }
            assertArrayEquals(clsSep, tok.encode("", 2).ids());
            assertEquals("", tok.decode(new long[0]));
            assertEquals("", tok.decode(clsSep));
            BatchEncoding batch = tok.encodeBatch(List.of("", "a"), 35, Padding.LONGEST);
            assertEquals(tok.padId(), batch.ids()[0][2]);
            assertArrayEquals(new long[] {1, 1, 0}, batch.attentionMask()[0]);
        }
    }

    @Test
    void controlCharactersAreDropped() {
        // BERT's _clean_text drops NUL, U+FFFD and control characters (category C*), maps whitespace to ' '
        assertArrayEquals(bert.encode("a cat", 35).ids(), bert.encode("a\u0000 \u0001c\u0007a\u200bt\ufffd", 35).ids());
        assertArrayEquals(bert.encode("a cat", 35).ids(), bert.encode("a\tcat", 35).ids());
        assertArrayEquals(bert.encode("a cat", 35).ids(), bert.encode("a\r\ncat\u007f", 35).ids());
        long[] ids = bert.encode("\u001b[0ma cat\u007f", 35).ids();
        assertSane(bert, ids, 35);
        // lone surrogates (invalid UTF-16) do not break the native call
        assertArrayEquals(bert.encode("a cat", 35).ids(), bert.encode("\ud800a cat\udc00", 35).ids());
    }

    @Test
    void cjkIsSplitPerCharacter() {
        // BERT's basic tokenizer puts spaces around CJK ideographs: one token per character
        List<String> tokens = bert.tokenize("中国人");
        assertEquals(List.of("中", "国", "人"), tokens);
        long[] ids = bert.encode("中国人 and 日本", 35).ids();
        assertEquals(8, ids.length);
        assertSane(bert, ids, 35);
        assertEquals("中 国 人 and 日 本", bert.decode(ids));
        // the tiny golden vocabulary has no CJK: one [UNK] per character, not per word
        assertArrayEquals(new long[] {2, 1, 1, 1, 3}, tiny.encode("我爱猫", 35).ids());
        // kana and hangul are not split per character
        assertEquals(1, tiny.tokenize("ねこねこ").size());
    }

    @Test
    void emojiAndOtherScripts() {
        for (String text : List.of("😀", "a 😀 cat 👍🏽!", "🇫🇷🏳️‍🌈", "Ünïcödé ÀÉÎ ß ǅ", "ΣΑΣ", "مرحبا بالعالم",
                "नमस्ते", "e\u0301\u0301\u0301", "\u0301")) {
            for (BlipTokenizer tok : List.of(tiny, bert)) {
                long[] ids = tok.encode(text, 35).ids();
                assertSane(tok, ids, 35);
                tok.decode(ids);
                tok.decode(ids, false);
            }
        }
        // accents are stripped (strip_accents follows lowercase), emoji unknown to BERT's vocabulary
        assertArrayEquals(bert.encode("cafe", 35).ids(), bert.encode("CAFÉ", 35).ids());
        assertEquals(List.of("[UNK]"), bert.tokenize("😀"));
    }

    @Test
    void hundredThousandCharactersAreTruncatedFast() {
        List<String> texts = new ArrayList<>();
        StringBuilder words = new StringBuilder();
        Random random = new Random(7);
        String[] vocabulary = {"a", "dog", "Café", "running", "zebras'", "on", "the", "[SEP]", "street.", "猫", "😀", "xylophone"};
        while (words.length() < 100_000) {
            words.append(vocabulary[random.nextInt(vocabulary.length)]).append(random.nextInt(5) == 0 ? "\n" : " ");
        }
        texts.add(words.substring(0, 100_000));
        texts.add("猫".repeat(100_000)); // no whitespace, one token per character
        texts.add("!".repeat(100_000)); // no whitespace, one token per character
        texts.add("a".repeat(100_000)); // a single word: [UNK] (longer than 100 characters)
        texts.add("😀".repeat(50_000)); // a single word of surrogate pairs
        texts.add("a b ".repeat(25_000).replace(' ', '\u3000')); // Unicode whitespace only

        for (BlipTokenizer tok : List.of(tiny, bert)) {
            for (String text : texts) {
                long[] all = tok.allContentIds(text);
                for (int maxLength : new int[] {2, 35, 512}) {
                    tok.encode(text, maxLength); // warm-up
                    long start = System.nanoTime();
                    long[] ids = tok.encode(text, maxLength).ids();
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    assertSane(tok, ids, maxLength);
                    // Measured on a CPU dev box: 0-4 ms for the texts with word boundaries (up to
                    // 13 ms for 512 CJK/punctuation tokens), ~45 ms for the 100,000-character
                    // single words (no boundary to cut at: the native library reads them whole),
                    // versus 150-500 ms to run all 100,000 characters through DJL.
                    assertTrue(millis < 500, millis + " ms for " + text.length() + " characters");
                    // exactly what tokenizing everything and truncating gives
                    assertArrayEquals(truncated(tok, all, maxLength), ids, text.substring(0, 20));
                }
            }
        }
        assertEquals(35, bert.encode(texts.get(0), 35).length());
        assertArrayEquals(new long[] {bert.clsId(), bert.unkId(), bert.sepId()}, bert.encode(texts.get(3), 35).ids());
        BatchEncoding batch = bert.encodeBatch(texts, 35, Padding.LONGEST);
        assertEquals(35, batch.width());
    }

    /**
     * The long-text shortcut (tokenize a prefix cut at a word boundary) gives exactly the ids of
     * tokenizing everything then truncating, on random texts mixing every awkward ingredient.
     */
    @Test
    void prefixShortcutEqualsFullTokenization() {
        String[] pieces = {"a", "dog", "CAFÉ", "Σ", "ς", "e\u0301", "\u0301", "zebras'", "don't", "[SEP]", "[ENC]", "[enc]",
            "[", "]", "[S", "EP]", "猫", "我爱", "ねこ", "😀", "👍🏽", "\u0000", "\u200b", "\ufffd", "\u001b", "!", "...", "#",
            "_", "-", "x".repeat(120), "xylophone", "surfers", "##ing", "ǅ", "İ", "ß"};
        String[] separators = {" ", " ", " ", "", "\t", "\n", "\r\n", "\u3000", "\u00a0", "  ", "\u2028", "\u0085",
            "\u000b", "\u200b"};
        Random random = new Random(1234);
        int cut = 0;
        for (int round = 0; round < 2000; round++) {
            BlipTokenizer tok = round % 2 == 0 ? tiny : bert;
            int maxLength = 2 + random.nextInt(12);
            int length = random.nextInt(1500);
            StringBuilder text = new StringBuilder();
            while (text.length() < length) {
                text.append(pieces[random.nextInt(pieces.length)]).append(separators[random.nextInt(separators.length)]);
            }
            String s = text.toString();
            if (s.length() > 64 + 6 * (maxLength - 2)) {
                cut++;
            }
            assertArrayEquals(truncatedFull(tok, s, maxLength), tok.encode(s, maxLength).ids(), s);
        }
        assertTrue(cut > 1000, "the shortcut was exercised " + cut + " times");
    }

    /** Decoding details of transformers 4.15's BertTokenizer.decode, derived by hand from its code. */
    @Test
    void decodeFollowsTransformers() {
        // clean_up_tokenization on the whole string: " ' " spans three tokens
        assertEquals("i'm sure they're right, aren't they? we've won!",
                bert.decode(bert.encode("I'm sure they're right, aren't they? We've won!", 64).ids()));
        // tokens added after the vocabulary are words of their own: a following ## piece is not glued
        assertEquals("[CLS] [ENC] ##es [SEP]", tiny.decode(new long[] {2, 303, 275, 3}, false));
        assertEquals("[CLS] [ENC] [DEC] playing [SEP]", tiny.decode(new long[] {2, 303, 302, 199, 277, 3}, false));
        // dropped special ids do not split: the ## piece after them is glued
        assertEquals("playing", tiny.decode(new long[] {2, 199, 1, 277, 3}));
        assertEquals("##es", tiny.decode(new long[] {2, 303, 275, 3}));
        assertEquals("", tiny.decode(new long[] {0, 1, 2, 3, 4, 302, 303}));
        assertEquals("[PAD] [UNK] [CLS] [SEP] [MASK] [DEC] [ENC]", tiny.decode(new long[] {0, 1, 2, 3, 4, 302, 303}, false));
    }

    @Test
    void truncationKeepsSepLast() {
        for (int maxLength = 2; maxLength < 15; maxLength++) {
            long[] ids = tiny.encode("two dogs playing, running! a picture of", maxLength).ids();
            assertEquals(Math.min(maxLength, 15), ids.length);
            assertEquals(tiny.clsId(), ids[0]);
            assertEquals(tiny.sepId(), ids[ids.length - 1]);
        }
        BatchEncoding batch = tiny.encodeBatch(List.of("a cat", "two dogs playing, running!"), 6, Padding.MAX_LENGTH);
        assertArrayEquals(new long[][] {{2, 47, 124, 3, 0, 0}, {2, 108, 123, 274, 199, 3}}, batch.ids());
        assertArrayEquals(new long[][] {{1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1}}, batch.attentionMask());
    }

    @Test
    void refusesBadArguments() {
        assertThrows(InputException.class, () -> tiny.encode("a", 0));
        assertThrows(InputException.class, () -> tiny.encode("a", -5));
        assertThrows(InputException.class, () -> tiny.encode("a", 1));
        assertThrows(InputException.class, () -> tiny.encode(null, 35));
        assertThrows(InputException.class, () -> tiny.encodeBatch(List.of("a"), 0, Padding.LONGEST));
        assertThrows(InputException.class, () -> tiny.encodeBatch(Arrays.asList("a", null), 35, Padding.LONGEST));
        assertThrows(InputException.class, () -> tiny.encodeBatch(null, 35, Padding.LONGEST));
        assertThrows(InputException.class, () -> tiny.encodeBatch(List.of("a"), 35, null));
        assertThrows(InputException.class, () -> tiny.tokenize(null));
        assertThrows(InputException.class, () -> tiny.decode(null));
        assertThrows(InputException.class, () -> tiny.decode(new long[] {-1}));
        assertThrows(InputException.class, () -> tiny.decode(new long[] {304}));
        assertThrows(InputException.class, () -> bert.decode(new long[] {30524}));
        assertEquals("", bert.decode(new long[] {30523}));
        InputException e = assertThrows(InputException.class, () -> tiny.encode("a", 0));
        assertTrue(e.getMessage().contains("maxLength"), e.getMessage());

        BatchEncoding empty = tiny.encodeBatch(List.of(), 35, Padding.LONGEST);
        assertEquals(0, empty.size());
        assertEquals(0, empty.width());
    }

    @Test
    void closedTokenizerRefusesWork() {
        BlipTokenizer tok = BlipTokenizer.fromVocab(Golden.tokenizerDir().resolve("vocab.txt"));
        tok.close();
        tok.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> tok.encode("a", 35));
        assertThrows(IllegalStateException.class, () -> tok.encodeBatch(List.of("a"), 35, Padding.NONE));
        assertThrows(IllegalStateException.class, () -> tok.decode(new long[] {47}));
        assertThrows(IllegalStateException.class, () -> tok.tokenize("a"));
        assertEquals(303, tok.encId()); // plain values stay readable
    }

    private static long[] truncatedFull(BlipTokenizer tok, String text, int maxLength) {
        return truncated(tok, tok.allContentIds(text), maxLength);
    }

    private static long[] truncated(BlipTokenizer tok, long[] content, int maxLength) {
        int n = Math.min(content.length, maxLength - 2);
        long[] ids = new long[n + 2];
        ids[0] = tok.clsId();
        System.arraycopy(content, 0, ids, 1, n);
        ids[n + 1] = tok.sepId();
        return ids;
    }

    private static void assertSane(BlipTokenizer tok, long[] ids, int maxLength) {
        assertTrue(ids.length >= 2 && ids.length <= maxLength, Arrays.toString(ids));
        assertEquals(tok.clsId(), ids[0]);
        assertEquals(tok.sepId(), ids[ids.length - 1]);
        for (long id : ids) {
            assertTrue(id >= 0 && id < tok.vocabSize(), "id " + id);
        }
    }
}
