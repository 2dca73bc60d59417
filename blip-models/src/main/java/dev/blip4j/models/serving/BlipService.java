package dev.blip4j.models.serving;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.blip4j.core.Blip;
import dev.blip4j.core.generate.Seeds;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Caption;
import dev.blip4j.models.caption.CaptionOptions;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.vqa.Answer;
import dev.blip4j.models.vqa.AnswerList;
import dev.blip4j.models.vqa.AnswerRanking;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import dev.blip4j.models.vqa.VqaOptions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A batching front for one model: callers on any thread submit requests and get a
 * {@link CompletableFuture}; one thread runs the model. Images that arrive within a short window
 * ({@link ServiceOptions#maxWait()}, at most {@link ServiceOptions#maxBatch()}) are preprocessed and go
 * through the ViT in one pass; matching, features and ranking then run per request on their image's
 * states. Decoding is batched continuously: a new caption's or answer's beams join the decoder step
 * that is already running at its next step, each request's rows with their own image, positions and
 * cache, and finished, cancelled or late requests leave at once ({@link JointDecoder}).
 *
 * <p>Every result is the one the task API gives for the same request made alone, up to the rounding
 * of matrix products over more rows ({@code BlipServiceTest} compares token ids exactly and scores
 * within 1e-5). Bounded: a request past {@link ServiceOptions#maxQueue()} waiting requests fails at
 * once ({@link ServiceException.Reason#QUEUE_FULL}); one past its deadline fails with
 * {@link ServiceException.Reason#DEADLINE}; cancelling a future takes its rows out of the batch.
 * {@link #close()} finishes what was accepted, up to the request timeout, fails the rest and returns.
 * The model stays the caller's: close it after the service.
 */
public final class BlipService implements AutoCloseable {

    private enum State { RUNNING, DRAINING, STOPPED }

    private static final AtomicInteger SERVICES = new AtomicInteger();
    private static final int MAX_TASKS = 256;

    private final BlipModel model;
    private final ServiceOptions options;
    private final ServiceListener listener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final ArrayDeque<Job<?>> queue = new ArrayDeque<>();
    private final JointDecoder decoder;
    private final Thread engine;
    private final ExecutorService searches;
    private final ScheduledExecutorService deadlines;
    private final Map<Object, Object> tasks = new ConcurrentHashMap<>();
    private State state = State.RUNNING;
    private int decoding;

    public BlipService(BlipModel model) {
        this(model, ServiceOptions.defaults(), ServiceListener.NONE);
    }

    public BlipService(BlipModel model, ServiceOptions options, ServiceListener listener) {
        this.model = model;
        this.options = options;
        this.listener = listener;
        this.decoder = new JointDecoder(lock, wake, listener);
        String name = "blip-service-" + SERVICES.incrementAndGet();
        this.searches = Executors.newCachedThreadPool(daemon(name + "-search"));
        this.deadlines = Executors.newSingleThreadScheduledExecutor(daemon(name + "-deadlines"));
        this.engine = daemon(name).newThread(this::loop);
        engine.start();
    }

    public BlipModel model() {
        return model;
    }

    public ServiceOptions options() {
        return options;
    }

    // ---- requests -------------------------------------------------------------------------------

    /** The captions of one image, as {@code new Captioner(model, options).caption(image)}. */
    public CompletableFuture<List<Caption>> caption(RgbImage image, CaptionOptions captionOptions) {
        Captioner captioner = task(captionOptions, o -> new Captioner(model, o));
        long seed = Seeds.mix(captionOptions.generation().seed(), 0);
        return submit(new Job.Decoding<>(image, (state, route) ->
                captioner.captionEncoded(state, new long[] {seed}, route).get(0)));
    }

    /** One image against texts, as {@code new ImageTextMatcher(model, options).match(image, texts)}. */
    public CompletableFuture<List<Match>> match(RgbImage image, List<String> texts, MatchOptions matchOptions) {
        ImageTextMatcher matcher = task(matchOptions, o -> new ImageTextMatcher(model, o));
        List<String> own = List.copyOf(texts);
        return submit(new Job.Encoded<>(image, state -> matcher.matchEncoded(state, own)));
    }

    /**
     * Generated answers to one question ({@code numReturnSequences} of them, best first), as
     * {@code new VisualQuestionAnswerer(model, options).answerAll(List.of(new ImageQuestion(image, question)))}.
     */
    public CompletableFuture<List<Answer>> answer(RgbImage image, String question, VqaOptions vqaOptions) {
        VisualQuestionAnswerer vqa = task(vqaOptions, o -> new VisualQuestionAnswerer(model, o));
        return submit(new Job.Decoding<>(image, (state, route) ->
                vqa.answerEncoded(state, new int[] {0}, List.of(question), route).get(0)));
    }

    /** An answer list ranked for one question, as {@code VisualQuestionAnswerer.rank(image, question, answers)}. */
    public CompletableFuture<AnswerRanking> rank(RgbImage image, String question, AnswerList answers,
            VqaOptions vqaOptions) {
        VisualQuestionAnswerer vqa = task(vqaOptions, o -> new VisualQuestionAnswerer(model, o));
        return submit(new Job.Encoded<>(image, state ->
                vqa.rankEncoded(state, new int[] {0}, List.of(question), answers).get(0)));
    }

    /** One image's features (states, ITC embedding), as {@code new FeatureExtractor(model).image(image)}. */
    public CompletableFuture<ImageFeatures> imageFeatures(RgbImage image) {
        FeatureExtractor features = features();
        return submit(new Job.Encoded<>(image, state -> features.imageFeatures(state).get(0)));
    }

    /**
     * Unimodal text features, as {@code new FeatureExtractor(model).texts(texts)}; the texts of every
     * such request in a window are encoded together.
     */
    public CompletableFuture<List<TextFeatures>> textFeatures(List<String> texts) {
        features();
        return submit(new Job.Texts(texts));
    }

    /** Any work with the model, on the service's thread between batches, queued like the rest. */
    public <T> CompletableFuture<T> run(Function<BlipModel, T> work) {
        return submit(new Job.Plain<>(() -> work.apply(model)));
    }

    /** Requests waiting to start. */
    public int queueDepth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Requests decoding now. */
    public int decoding() {
        lock.lock();
        try {
            return decoding;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One task object per distinct options, built on the caller's thread so that bad options fail
     * there. Bounded: clients choosing options (seeds, lengths) must not grow it without end.
     */
    @SuppressWarnings("unchecked")
    private <O, T> T task(O taskOptions, Function<O, T> make) {
        if (tasks.size() > MAX_TASKS) {
            tasks.clear();
        }
        return (T) tasks.computeIfAbsent(taskOptions, o -> make.apply((O) o));
    }

    private FeatureExtractor features() {
        return task(FeatureExtractor.class, c -> new FeatureExtractor(model));
    }

    private <T> CompletableFuture<T> submit(Job<T> job) {
        lock.lock();
        try {
            if (state != State.RUNNING) {
                job.fail(new ServiceException(ServiceException.Reason.CLOSED, "the service is closing"));
                return job.future;
            }
            queue.removeIf(j -> j.future.isDone());
            if (queue.size() >= options.maxQueue()) {
                job.fail(new ServiceException(ServiceException.Reason.QUEUE_FULL, "the queue is full: "
                        + queue.size() + " requests waiting (max queue " + options.maxQueue() + ")"));
                return job.future;
            }
            queue.add(job);
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        Duration timeout = options.timeout();
        ScheduledFuture<?> deadline = deadlines.schedule(() -> job.fail(new ServiceException(
                ServiceException.Reason.DEADLINE, "the request did not finish within " + timeout.toMillis() + " ms")),
                timeout.toNanos(), TimeUnit.NANOSECONDS);
        job.future.whenComplete((r, e) -> {
            deadline.cancel(false);
            signal();
        });
        return job.future;
    }

    private void signal() {
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- the service's thread -------------------------------------------------------------------

    private void loop() {
        try {
            while (true) {
                List<Job<?>> window = nextWindow();
                if (window == null) {
                    return;
                }
                if (!window.isEmpty()) {
                    runWindow(window);
                }
                boolean step;
                lock.lock();
                try {
                    step = decoder.ready();
                } finally {
                    lock.unlock();
                }
                if (step) {
                    decoder.step();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // Nothing should get here; if it does, nobody may wait forever.
            stopNow(new ServiceException(ServiceException.Reason.CLOSED, "the service stopped: " + e));
            throw e;
        }
    }

    /**
     * Waits until there is something to do: requests to start (an empty list when only the decoder
     * is ready), or null when the service is done.
     */
    private List<Job<?>> nextWindow() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (state == State.STOPPED) {
                    return null;
                }
                queue.removeIf(j -> j.future.isDone());
                boolean ready = decoder.ready();
                if (startable() > 0) {
                    long wait = windowLeft();
                    if (ready || wait <= 0) {
                        return take();
                    }
                    wake.awaitNanos(wait);
                    continue;
                }
                if (ready) {
                    return List.of();
                }
                if (state == State.DRAINING && queue.isEmpty() && decoding == 0) {
                    state = State.STOPPED;
                    wake.signalAll();
                    return null;
                }
                wake.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: queued requests that could start now (decoding ones need a free slot). */
    private int startable() {
        int free = options.maxBatch() - decoding;
        int n = 0;
        for (Job<?> j : queue) {
            if (!j.decodes() || free-- > 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * Under the lock: how long an idle service still holds the window open for more images (0
     * when it is full, when the oldest request has waited its time, or when decoding is running,
     * where the step that just ran was the wait).
     */
    private long windowLeft() {
        if (state != State.RUNNING || !decoder.idle() || decoding > 0 || startable() >= options.maxBatch()) {
            return 0;
        }
        long age = System.nanoTime() - queue.peekFirst().submittedNanos;
        return options.maxWait().toNanos() - age;
    }

    /** Under the lock: up to a batch of requests, in order, decoding ones only into free slots. */
    private List<Job<?>> take() {
        List<Job<?>> window = new ArrayList<>();
        for (Iterator<Job<?>> it = queue.iterator(); it.hasNext() && window.size() < options.maxBatch(); ) {
            Job<?> j = it.next();
            if (j.decodes()) {
                if (decoding >= options.maxBatch()) {
                    continue;
                }
                decoding++;
            }
            it.remove();
            window.add(j);
        }
        return window;
    }

    private void runWindow(List<Job<?>> window) {
        List<Job<?>> withImages = new ArrayList<>();
        List<Job.Texts> texts = new ArrayList<>();
        for (Job<?> j : window) {
            if (j.future.isDone()) {
                release(j);
            } else if (j.image() != null) {
                withImages.add(j);
            } else if (j instanceof Job.Texts t) {
                texts.add(t);
            } else {
                runPlain((Job.Plain<?>) j);
            }
        }
        if (!withImages.isEmpty()) {
            encodeImages(withImages);
        }
        if (!texts.isEmpty()) {
            encodeTexts(texts);
        }
    }

    /** Preprocessing and the ViT in one pass for every image of the window, then each request's own work. */
    private void encodeImages(List<Job<?>> jobs) {
        Blip net = model.network();
        try (NDManager m = net.newManager()) {
            NDArray states;
            try {
                states = net.encodeImage(model.pixels(jobs.stream().map(Job::image).toList(), m));
            } catch (RuntimeException e) {
                for (Job<?> j : jobs) {
                    j.fail(e);
                    release(j);
                }
                return;
            }
            listener.onBatch(ServiceListener.Stage.ENCODE, jobs.size(), jobs.size());
            for (int i = 0; i < jobs.size(); i++) {
                NDArray state = states.get(new NDIndex("{}:{}", i, i + 1));
                if (jobs.get(i) instanceof Job.Decoding<?> d) {
                    startDecoding(d, state);
                } else {
                    runEncoded((Job.Encoded<?>) jobs.get(i), state);
                }
            }
        }
    }

    private <T> void runEncoded(Job.Encoded<T> job, NDArray state) {
        if (job.future.isDone()) {
            return;
        }
        try {
            job.future.complete(job.work.apply(state));
        } catch (RuntimeException e) {
            job.fail(e);
        }
    }

    /** Joins the decoder, then runs the request's search on a thread of its own. */
    private <T> void startDecoding(Job.Decoding<T> job, NDArray state) {
        if (job.future.isDone()) {
            release(job);
            return;
        }
        NDManager own = model.network().newManager();
        NDArray copy = state.duplicate();
        copy.attach(own);
        JointDecoder.Member member = decoder.join(job);
        Runnable search = () -> {
            try {
                job.future.complete(job.work.apply(copy, member.route()));
            } catch (RuntimeException | Error e) {
                job.fail(e);
            } finally {
                member.leave();
                own.close();
                release(job);
            }
        };
        try {
            searches.execute(search);
        } catch (RejectedExecutionException e) {
            job.fail(new ServiceException(ServiceException.Reason.CLOSED, "the service is closing"));
            member.leave();
            own.close();
            release(job);
        }
    }

    private void encodeTexts(List<Job.Texts> jobs) {
        List<String> all = new ArrayList<>();
        jobs.forEach(j -> all.addAll(j.texts));
        List<TextFeatures> features;
        try {
            features = features().texts(all);
        } catch (RuntimeException e) {
            jobs.forEach(j -> j.fail(e));
            return;
        }
        int at = 0;
        for (Job.Texts j : jobs) {
            j.future.complete(List.copyOf(features.subList(at, at + j.texts.size())));
            at += j.texts.size();
        }
    }

    private <T> void runPlain(Job.Plain<T> job) {
        try {
            job.future.complete(job.work.get());
        } catch (RuntimeException e) {
            job.fail(e);
        }
    }

    /** Gives back a decoding request's slot. */
    private void release(Job<?> job) {
        if (!job.decodes()) {
            return;
        }
        lock.lock();
        try {
            decoding--;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- closing --------------------------------------------------------------------------------

    /** Finishes what was accepted, up to the request timeout, then fails the rest; see {@link #close(Duration)}. */
    @Override
    public void close() {
        close(options.timeout());
    }

    /**
     * Refuses new requests at once ({@link ServiceException.Reason#CLOSED}), lets queued and
     * running requests finish for up to {@code drain}, then fails those left and waits for the
     * service's thread to leave the forward pass it is in. Never waits on a request beyond that.
     */
    public void close(Duration drain) {
        lock.lock();
        try {
            if (state == State.RUNNING) {
                state = State.DRAINING;
            }
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            engine.join(Math.max(1, drain.toMillis()));
            if (engine.isAlive()) {
                stopNow(new ServiceException(ServiceException.Reason.CLOSED,
                        "the service closed before the request finished"));
                engine.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopNow(new ServiceException(ServiceException.Reason.CLOSED, "the service closed"));
        }
        searches.shutdown();
        try {
            if (!searches.awaitTermination(drain.toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
                searches.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            searches.shutdownNow();
        }
        deadlines.shutdownNow();
    }

    /** Fails everything queued and decoding, and stops the service's thread after its current pass. */
    private void stopNow(ServiceException reason) {
        lock.lock();
        try {
            state = State.STOPPED;
            queue.forEach(j -> j.fail(reason));
            queue.clear();
            decoder.failAll(reason);
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + (name.endsWith("search") ? "-" + n.incrementAndGet() : ""));
            t.setDaemon(true);
            return t;
        };
    }
}
