package dev.blip4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** One tokenizer shared by 8 threads gives what one thread gets. */
class BlipTokenizerConcurrencyTest {

    private static final int THREADS = 8;

    @Test
    void eightThreadsGiveTheSingleThreadResults() throws Exception {
        List<String> texts = new ArrayList<>();
        for (JsonElement c : Golden.json(Golden.tokenizerDir().resolve("tokenizer_cases.json")).getAsJsonArray("encode")) {
            texts.add(c.getAsJsonObject().get("text").getAsString());
        }
        texts.addAll(Golden.expected("caption").getAsJsonObject("token_ids_unpadded").keySet());
        texts.addAll(List.of("", "猫 and 狗", "😀 [SEP] [ENC]", "word ".repeat(5_000)));

        try (BlipTokenizer tok = BlipTokenizer.bertBaseUncased()) {
            List<Object> expected = work(tok, texts);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<List<List<Object>>>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    Callable<List<List<Object>>> task = () -> {
                        start.await();
                        List<List<Object>> results = new ArrayList<>();
                        for (int round = 0; round < 50; round++) {
                            results.add(work(tok, texts));
                        }
                        return results;
                    };
                    futures.add(pool.submit(task));
                }
                start.countDown();
                int compared = 0;
                for (Future<List<List<Object>>> f : futures) {
                    for (List<Object> result : f.get(2, TimeUnit.MINUTES)) {
                        assertEquals(expected, result);
                        compared++;
                    }
                }
                assertEquals(THREADS * 50, compared);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** close() waits for calls in flight, and later calls fail cleanly instead of crashing the JVM. */
    @Test
    void closeWhileOtherThreadsEncode() throws Exception {
        BlipTokenizer tok = BlipTokenizer.fromTokenizerJson(Golden.tokenizerDir().resolve("tokenizer.json"));
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    int done = 0;
                    try {
                        while (true) {
                            tok.encode("two dogs playing, running!", 35);
                            tok.decode(new long[] {302, 47, 117, 75, 3});
                            done++;
                        }
                    } catch (IllegalStateException closed) {
                        return done;
                    }
                }));
            }
            Thread.sleep(200);
            tok.close();
            for (Future<Integer> f : futures) {
                assertTrue(f.get(1, TimeUnit.MINUTES) > 0);
            }
            assertThrows(IllegalStateException.class, () -> tok.encode("a", 35));
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<Object> work(BlipTokenizer tok, List<String> texts) {
        List<Object> out = new ArrayList<>();
        for (String text : texts) {
            Encoding e = tok.encode(text, 35);
            out.add(e);
            out.add(tok.decode(e.ids()));
            out.add(tok.decode(e.ids(), false));
        }
        out.add(tok.encodeBatch(texts, 35, Padding.LONGEST));
        out.add(tok.encodeBatch(texts, 20, Padding.MAX_LENGTH).withFirstToken(tok.encId()));
        return out;
    }
}
