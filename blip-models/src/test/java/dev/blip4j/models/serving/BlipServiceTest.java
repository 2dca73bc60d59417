package dev.blip4j.models.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.BlipEngine;
import dev.blip4j.core.generate.GenerationConfig;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.serving.ServiceRequests.Request;
import dev.blip4j.models.serving.ServiceRequests.Services;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The batching service gives what the task APIs give alone, while it batches for real (images of
 * several requests in one ViT pass, rows of several requests in one decoder step); it refuses what
 * it cannot take, lets cancelled and late requests leave, and closes without hanging.
 */
class BlipServiceTest {

    /** A deadlock guard, not a performance bound. */
    private static final long MINUTES = 5;

    private static BlipModel caption;
    private static BlipModel itm;
    private static BlipModel vqa;

    @BeforeAll
    static void load() {
        caption = BlipModel.load(Golden.of("caption").hf());
        itm = BlipModel.load(Golden.of("itm").hf());
        vqa = BlipModel.load(Golden.of("vqa").hf());
    }

    @AfterAll
    static void close() {
        for (BlipModel m : new BlipModel[] {caption, itm, vqa}) {
            if (m != null) {
                m.close();
            }
        }
    }

    /** Batch sizes a service reported, by stage. */
    private static final class Batches implements ServiceListener {
        final List<int[]> encode = new CopyOnWriteArrayList<>();
        final List<int[]> decode = new CopyOnWriteArrayList<>();

        @Override
        public void onBatch(Stage stage, int size, int requests) {
            (stage == Stage.ENCODE ? encode : decode).add(new int[] {size, requests});
        }

        int most(List<int[]> batches) {
            return batches.stream().mapToInt(b -> b[1]).max().orElse(0);
        }
    }

    @Test
    void aMixedStreamFrom16ThreadsGetsWhatEachRequestGetsAlone() throws Exception {
        List<Request> catalogue = ServiceRequests.all(caption, itm, vqa);
        List<ResultPrint> alone = new ArrayList<>();
        for (Request r : catalogue) {
            alone.add(ResultPrint.of(r.alone().get()));
        }
        int arraysBefore = BlipEngine.liveArrayCount();
        Batches batches = new Batches();
        ServiceOptions options = ServiceOptions.defaults().withMaxWait(Duration.ofMillis(20)).withMaxQueue(1000);
        int threads = 16;
        int perThread = 10;
        ResultPrint.Agreement agreement = new ResultPrint.Agreement();
        try (BlipService c = new BlipService(caption, options, batches);
                BlipService i = new BlipService(itm, options, batches);
                BlipService v = new BlipService(vqa, options, batches)) {
            Services services = new Services(c, i, v);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Integer>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Random random = new Random(t);
                    done.add(pool.submit(() -> {
                        start.await();
                        List<Integer> picks = new ArrayList<>();
                        List<CompletableFuture<?>> futures = new ArrayList<>();
                        for (int n = 0; n < perThread; n++) {
                            int pick = random.nextInt(catalogue.size());
                            picks.add(pick);
                            futures.add(catalogue.get(pick).submit().apply(services));
                            if (random.nextInt(4) == 0) { // some callers wait, so requests keep arriving mid-decode
                                futures.get(futures.size() - 1).get(MINUTES, TimeUnit.MINUTES);
                            }
                        }
                        for (int n = 0; n < perThread; n++) {
                            Request r = catalogue.get(picks.get(n));
                            Object got = futures.get(n).get(MINUTES, TimeUnit.MINUTES);
                            alone.get(picks.get(n)).assertMatches(r.name(), ResultPrint.of(got), agreement);
                        }
                        return perThread;
                    }));
                }
                start.countDown();
                int compared = 0;
                for (Future<Integer> f : done) {
                    compared += f.get(MINUTES, TimeUnit.MINUTES);
                }
                assertEquals(threads * perThread, compared);
            } finally {
                pool.shutdownNow();
            }
        }
        System.out.printf("service vs alone, %d requests from %d threads: %s; largest ViT batch %d images, "
                + "largest decoder step %d requests%n", threads * perThread, threads, agreement,
                batches.most(batches.encode), batches.most(batches.decode));
        assertTrue(batches.most(batches.encode) > 1, "no window held more than one image");
        assertTrue(batches.most(batches.decode) > 1, "no decoder step held rows of more than one request");
        assertEquals(arraysBefore, BlipEngine.liveArrayCount(), "native arrays left behind by the service");
    }

    @Test
    void aRequestJoinsTheRunningDecoderAndACancelledOneLeavesIt() throws Exception {
        List<RgbImage> images = GoldenModels.images(caption);
        CaptionOptions long20 = CaptionOptions.defaults().withGeneration(
                GenerationConfig.defaults().withNumBeams(2).withLengths(19, 20));
        CaptionOptions greedy = CaptionOptions.defaults().withGeneration(
                GenerationConfig.defaults().withGreedy().withLengths(19, 20));
        List<Caption> aloneA = new Captioner(caption, long20).caption(images.get(0));
        List<Caption> aloneB = new Captioner(caption, greedy).caption(images.get(1));
        AtomicReference<BlipService> service = new AtomicReference<>();
        AtomicReference<CompletableFuture<List<Caption>>> b = new AtomicReference<>();
        AtomicReference<CompletableFuture<List<Caption>>> c = new AtomicReference<>();
        List<int[]> steps = new CopyOnWriteArrayList<>();
        // Runs on the service's thread after each step: at step 3 of A, B and C arrive; after
        // C's first step (its prompt) and one more, C is cancelled.
        ServiceListener script = new ServiceListener() {
            @Override
            public void onBatch(Stage stage, int size, int requests) {
                if (stage != Stage.DECODE) {
                    return;
                }
                steps.add(new int[] {size, requests});
                if (steps.size() == 3) {
                    b.set(service.get().caption(images.get(1), greedy));
                    c.set(service.get().caption(images.get(2), long20));
                }
                if (steps.size() == 6) {
                    c.get().cancel(true);
                }
            }
        };
        try (BlipService s = new BlipService(caption, ServiceOptions.defaults(), script)) {
            service.set(s);
            List<Caption> a = s.caption(images.get(0), long20).get(MINUTES, TimeUnit.MINUTES);
            List<Caption> gotB = b.get().get(MINUTES, TimeUnit.MINUTES);
            assertEquals(ResultPrint.of(aloneA).exact(), ResultPrint.of(a).exact());
            assertEquals(ResultPrint.of(aloneB).exact(), ResultPrint.of(gotB).exact());
            assertThrows(CancellationException.class, () -> c.get().join());
        }
        List<String> trace = steps.stream().map(x -> x[0] + " rows/" + x[1]).toList();
        System.out.println("decoder steps (rows/requests): " + trace);
        // A alone (2 rows) for 3 steps; B and C's prompts (1 + 2 rows) in one pass of their own width;
        // then A, B and C in one step (5 rows); after the cancel, C's rows are gone (3 rows).
        assertEquals(List.of("2 rows/1", "2 rows/1", "2 rows/1"), trace.subList(0, 3));
        assertTrue(trace.contains("3 rows/2"), "B's and C's prompts were not fed together: " + trace);
        assertTrue(trace.contains("5 rows/3"), "B and C did not join A's running decoder: " + trace);
        int cancelledAt = 6;
        assertTrue(trace.subList(cancelledAt, trace.size()).stream().noneMatch(t -> t.startsWith("5 rows")),
                "the cancelled request's rows stayed in the batch: " + trace);
        assertTrue(trace.subList(cancelledAt, trace.size()).contains("3 rows/2"), trace.toString());
    }

    @Test
    void aFullQueueRefusesAtOnceAndALateRequestFailsByName() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ServiceOptions options = ServiceOptions.defaults().withMaxQueue(2).withTimeout(Duration.ofMillis(2000));
        RgbImage image = GoldenModels.images(caption).get(0);
        try (BlipService s = new BlipService(caption, options, ServiceListener.NONE)) {
            CompletableFuture<Boolean> blocker = hold(s, release);
            CompletableFuture<List<Caption>> first = s.caption(image, CaptionOptions.defaults());
            CompletableFuture<List<Caption>> second = s.caption(image, CaptionOptions.defaults());
            CompletableFuture<List<Caption>> third = s.caption(image, CaptionOptions.defaults());
            ServiceException full = cause(third, ServiceException.class);
            assertEquals(ServiceException.Reason.QUEUE_FULL, full.reason());
            assertTrue(full.getMessage().contains("max queue 2"), full.getMessage());
            ServiceException late = cause(first, ServiceException.class);
            assertEquals(ServiceException.Reason.DEADLINE, late.reason());
            assertTrue(late.getMessage().contains("2000 ms"), late.getMessage());
            cause(second, ServiceException.class);
            // the blocker itself is late too, but its work runs on until it returns
            assertEquals(ServiceException.Reason.DEADLINE, cause(blocker, ServiceException.class).reason());
            release.countDown();
            // the service carries on
            assertEquals(ResultPrint.of(new Captioner(caption).caption(image)).exact(),
                    ResultPrint.of(s.caption(image, CaptionOptions.defaults()).get(MINUTES, TimeUnit.MINUTES)).exact());
        }
    }

    @Test
    void closingDrainsWhatWasAcceptedThenRefusesAndNeverHangs() throws Exception {
        RgbImage image = GoldenModels.images(caption).get(0);
        List<Caption> alone = new Captioner(caption).caption(image);
        List<CompletableFuture<List<Caption>>> accepted = new ArrayList<>();
        BlipService s = new BlipService(caption, ServiceOptions.defaults(), ServiceListener.NONE);
        for (int n = 0; n < 6; n++) {
            accepted.add(s.caption(image, CaptionOptions.defaults()));
        }
        s.close();
        for (CompletableFuture<List<Caption>> f : accepted) {
            assertEquals(ResultPrint.of(alone).exact(), ResultPrint.of(f.get(0, TimeUnit.SECONDS)).exact());
        }
        assertEquals(ServiceException.Reason.CLOSED,
                cause(s.caption(image, CaptionOptions.defaults()), ServiceException.class).reason());

        // A service whose thread is held past the drain time fails what waits and returns once it is let go.
        CountDownLatch release = new CountDownLatch(1);
        BlipService held = new BlipService(caption, ServiceOptions.defaults(), ServiceListener.NONE);
        hold(held, release);
        CompletableFuture<List<Caption>> waiting = held.caption(image, CaptionOptions.defaults());
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            release.countDown();
        });
        releaser.start();
        long startNanos = System.nanoTime();
        held.close(Duration.ofMillis(100));
        assertTrue(System.nanoTime() - startNanos < TimeUnit.MINUTES.toNanos(1));
        assertEquals(ServiceException.Reason.CLOSED, cause(waiting, ServiceException.class).reason());
        releaser.join();
    }

    /** Occupies the service's thread until {@code release}; returns once it is held. */
    private static CompletableFuture<Boolean> hold(BlipService service, CountDownLatch release) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean();
        CompletableFuture<Boolean> held = service.run(m -> {
            running.set(true);
            try {
                return release.await(MINUTES, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        while (!running.get()) {
            Thread.sleep(5);
        }
        return held;
    }

    private static <T extends Throwable> T cause(CompletableFuture<?> f, Class<T> type) throws Exception {
        try {
            f.get(MINUTES, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            return assertInstanceOf(type, e.getCause());
        }
        throw new AssertionError("expected " + type.getSimpleName() + ", got a result");
    }

}
