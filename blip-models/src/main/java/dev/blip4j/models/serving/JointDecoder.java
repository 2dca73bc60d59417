package dev.blip4j.models.serving;

import dev.blip4j.core.generate.NextTokenModel;
import dev.blip4j.core.text.DecoderSession;
import dev.blip4j.core.text.DecodingRoute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching of decoding. Every request that decodes is a {@link Member}: its search runs
 * unchanged on a thread of its own and asks for logits through {@link Member#next}, which blocks;
 * the service's thread steps every member that asked in one forward pass per token width (a new
 * member's prompt, everyone else's single token) once all members have asked. A member joins when
 * its request starts and leaves when it ends, so rows join and leave between any two steps.
 */
final class JointDecoder {

    private final ReentrantLock lock;
    private final Condition wake;
    private final ServiceListener listener;
    private final List<Member> members = new ArrayList<>();

    JointDecoder(ReentrantLock lock, Condition wake, ServiceListener listener) {
        this.lock = lock;
        this.wake = wake;
        this.listener = listener;
    }

    /** A request that decodes, as the search sees its model. */
    final class Member implements NextTokenModel {
        private final Job<?> job;
        private DecoderSession session;
        private long[][] tokens;
        private CompletableFuture<float[][]> logits;

        private Member(Job<?> job) {
            this.job = job;
        }

        /** Where the request's task code sends its decoder session. */
        DecodingRoute route() {
            return s -> {
                session = s;
                return this;
            };
        }

        @Override
        public float[][] next(long[][] newTokens) {
            CompletableFuture<float[][]> result = new CompletableFuture<>();
            lock.lock();
            try {
                RuntimeException stop = job.stopReason();
                if (stop != null) {
                    throw stop;
                }
                tokens = newTokens;
                logits = result;
                wake.signalAll();
            } finally {
                lock.unlock();
            }
            try {
                return result.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancellationException("interrupted while waiting for the decoder");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }

        @Override
        public void reorder(int[] from) {
            session.reorder(from);
        }

        /** The request is over: its rows leave the batch (the step never waits for it again). */
        void leave() {
            lock.lock();
            try {
                members.remove(this);
                tokens = null;
                wake.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private void answer(float[][] out, RuntimeException failure) {
            CompletableFuture<float[][]> result;
            lock.lock();
            try {
                result = logits;
                tokens = null;
                logits = null;
            } finally {
                lock.unlock();
            }
            if (result == null) {
                return;
            }
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(out);
            }
        }
    }

    /** Registers a request before its thread starts, so that the first step waits for its prompt. */
    Member join(Job<?> job) {
        lock.lock();
        try {
            Member m = new Member(job);
            members.add(m);
            return m;
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: every member has asked for its next logits. */
    boolean ready() {
        if (members.isEmpty()) {
            return false;
        }
        for (Member m : members) {
            if (m.tokens == null) {
                return false;
            }
        }
        return true;
    }

    /** Under the lock: no request is decoding. */
    boolean idle() {
        return members.isEmpty();
    }

    /**
     * Under the lock: fails every member and wakes those waiting for logits, for a service that
     * stops without draining.
     */
    void failAll(RuntimeException reason) {
        for (Member m : members) {
            m.job.fail(reason);
            if (m.logits != null) {
                m.logits.completeExceptionally(reason);
                m.logits = null;
                m.tokens = null;
            }
        }
    }

    /**
     * On the service's thread: one step for every member that asked. The members asking are
     * blocked until answered, so their tokens and sessions are this thread's until then.
     */
    void step() {
        List<Member> asking = new ArrayList<>();
        lock.lock();
        try {
            for (Member m : members) {
                if (m.tokens != null) {
                    asking.add(m);
                }
            }
        } finally {
            lock.unlock();
        }
        Map<Integer, List<Member>> byWidth = new LinkedHashMap<>();
        for (Member m : asking) {
            RuntimeException stop = m.job.stopReason();
            if (stop != null) {
                m.answer(null, stop);
            } else {
                byWidth.computeIfAbsent(m.tokens[0].length, w -> new ArrayList<>()).add(m);
            }
        }
        for (List<Member> group : byWidth.values()) {
            List<DecoderSession> sessions = new ArrayList<>(group.size());
            List<long[][]> tokens = new ArrayList<>(group.size());
            int rows = 0;
            for (Member m : group) {
                sessions.add(m.session);
                tokens.add(m.tokens);
                rows += m.tokens.length;
            }
            List<float[][]> logits;
            try {
                logits = DecoderSession.next(sessions, tokens);
            } catch (RuntimeException e) {
                group.forEach(m -> m.answer(null, e));
                continue;
            }
            listener.onBatch(ServiceListener.Stage.DECODE, rows, group.size());
            for (int i = 0; i < group.size(); i++) {
                group.get(i).answer(logits.get(i), null);
            }
        }
    }
}
