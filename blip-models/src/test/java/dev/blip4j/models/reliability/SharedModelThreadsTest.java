package dev.blip4j.models.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.blip4j.models.testing.Workloads.Workload;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * One loaded model per task serves 8 threads at once: captioning (beam, greedy, sampling),
 * matching and answering, tokenizing and image decoding, interleaved in a different order on
 * every thread, give bit for bit what one thread gets (captions, token ids, scores, logits), and
 * nobody waits forever. The weights are shared read-only; every call's arrays, decoder cache and
 * random state are its own.
 */
class SharedModelThreadsTest {

    private static final int THREADS = 8;
    private static final int ROUNDS = 10;
    /** A deadlock guard, not a performance bound: the work takes seconds even on a busy machine. */
    private static final long DEADLOCK_MINUTES = 10;

    @Test
    void eightThreadsGiveTheSingleThreadResults() throws Exception {
        try (TinyModels tiny = TinyModels.load()) {
            Map<Workload, Object> expected = new LinkedHashMap<>();
            for (Workload w : tiny.workloads()) {
                expected.put(w, w.run());
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Integer>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    Random order = new Random(t);
                    futures.add(pool.submit(() -> {
                        start.await();
                        int compared = 0;
                        for (int round = 0; round < ROUNDS; round++) {
                            List<Workload> shuffled = new ArrayList<>(expected.keySet());
                            Collections.shuffle(shuffled, order);
                            for (Workload w : shuffled) {
                                assertEquals(expected.get(w), w.run(), w.name() + " on a shared model");
                                compared++;
                            }
                        }
                        return compared;
                    }));
                }
                start.countDown();
                int compared = 0;
                for (Future<Integer> f : futures) {
                    try {
                        compared += f.get(DEADLOCK_MINUTES, TimeUnit.MINUTES);
                    } catch (TimeoutException e) {
                        fail("threads still running after " + DEADLOCK_MINUTES + " minutes: deadlock?");
                    }
                }
                assertEquals(THREADS * ROUNDS * expected.size(), compared);
                System.out.printf("%d threads x %d rounds x %d workloads: all equal to the single-thread results%n",
                        THREADS, ROUNDS, expected.size());
            } finally {
                // the model is closed next: a thread still inside it after a failure would crash the JVM
                pool.shutdownNow();
                if (!pool.awaitTermination(DEADLOCK_MINUTES, TimeUnit.MINUTES)) {
                    fail("threads still running " + DEADLOCK_MINUTES + " minutes after a failure");
                }
            }
        }
    }
}
