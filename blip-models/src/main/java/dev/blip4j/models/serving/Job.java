package dev.blip4j.models.serving;

import ai.djl.ndarray.NDArray;
import dev.blip4j.core.text.DecodingRoute;
import dev.blip4j.models.features.TextFeatures;
import dev.blip4j.models.image.RgbImage;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/** One request inside a {@link BlipService}: what it needs and where its result goes. */
abstract class Job<T> {

    final CompletableFuture<T> future = new CompletableFuture<>();
    final long submittedNanos = System.nanoTime();

    /** The image that goes through the window's ViT pass, or null. */
    RgbImage image() {
        return null;
    }

    /** Whether the job decodes (it takes a decoder slot and a thread for its search). */
    boolean decodes() {
        return false;
    }

    /** Why the job must stop (cancelled, past its deadline, failed), or null while it may go on. */
    RuntimeException stopReason() {
        if (!future.isDone()) {
            return null;
        }
        if (future.isCancelled()) {
            return new CancellationException("the request was cancelled");
        }
        try {
            future.join();
            return new CancellationException("the request has already finished");
        } catch (CompletionException e) {
            return e.getCause() instanceof RuntimeException r ? r : e;
        } catch (CancellationException e) {
            return e;
        }
    }

    void fail(Throwable e) {
        future.completeExceptionally(e);
    }

    /** Work on one image's ViT states [1, N, W], on the service's thread (matching, features, ranking). */
    static final class Encoded<T> extends Job<T> {
        private final RgbImage image;
        final Function<NDArray, T> work;

        Encoded(RgbImage image, Function<NDArray, T> work) {
            this.image = image;
            this.work = work;
        }

        @Override
        RgbImage image() {
            return image;
        }
    }

    /**
     * Generation from one image's ViT states, on a thread of its own whose search steps the decoder
     * through the route it is given (captions, VQA answers).
     */
    static final class Decoding<T> extends Job<T> {
        private final RgbImage image;
        final BiFunction<NDArray, DecodingRoute, T> work;

        Decoding(RgbImage image, BiFunction<NDArray, DecodingRoute, T> work) {
            this.image = image;
            this.work = work;
        }

        @Override
        RgbImage image() {
            return image;
        }

        @Override
        boolean decodes() {
            return true;
        }
    }

    /** Texts to encode; the texts of every such job of a window go through the encoder together. */
    static final class Texts extends Job<List<TextFeatures>> {
        final List<String> texts;

        Texts(List<String> texts) {
            this.texts = List.copyOf(texts);
        }
    }

    /** Any other work, on the service's thread between batches. */
    static final class Plain<T> extends Job<T> {
        final Supplier<T> work;

        Plain(Supplier<T> work) {
            this.work = work;
        }
    }
}
