package io.ds4j.zero.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one body per rank, each on its own thread, for collectives whose ranks are threads (in-process groups and the
 * ranks of one node). A body that throws aborts the group, so the others stop promptly; the caller then gets a
 * {@link RankFailedException} naming the rank that failed first and its cause.
 */
public final class Ranks {
    private Ranks() {
    }

    /** The work of one rank. @param <T> its result */
    @FunctionalInterface
    public interface Body<T> {
        /** Runs rank {@code comm.rank()}. */
        T run(Collectives comm) throws Exception;
    }

    /** Thrown by {@link #run} when a rank failed; other ranks' failures are suppressed exceptions. */
    public static final class RankFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int rank;

        RankFailedException(int rank, Throwable cause) {
            super("rank " + rank + " failed: " + cause, cause);
            this.rank = rank;
        }

        /** The rank that failed first (the root cause, not a rank that was merely aborted). */
        public int rank() {
            return rank;
        }
    }

    /** How long ranks get to stop after a failure before {@link #run} stops waiting for them. */
    public static final Duration GRACE = Duration.ofSeconds(10);

    /**
     * Runs {@code body} for every handle on daemon threads named {@code ds4j-rank-<r>} and waits for all of them. When
     * a rank fails, the group is aborted and the ranks still running are interrupted; a rank that has not stopped
     * {@link #GRACE} later (stuck outside any collective) is left behind and named in the exception, so the caller
     * never hangs on it.
     *
     * @return the results, index r for rank r
     * @throws RankFailedException when any rank threw
     */
    public static <T> List<T> run(List<? extends Collectives> handles, Body<T> body) {
        return run(handles, body, GRACE);
    }

    /** {@link #run(List, Body)} with another grace period for ranks to stop after a failure. */
    public static <T> List<T> run(List<? extends Collectives> handles, Body<T> body, Duration grace) {
        Objects.requireNonNull(body, "body");
        int n = handles.size();
        RankRound<T> round = new RankRound<>(n);
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            Thread t = new Thread(round.task(r, handles.get(r), body), "ds4j-rank-" + r);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        List<Integer> stuck = round.await(threads, grace);
        RankFailedException failure = round.failure();
        if (failure != null) {
            if (!stuck.isEmpty()) {
                failure.addSuppressed(new IllegalStateException("rank(s) " + stuck + " did not stop within "
                        + grace.toMillis() + " ms of the abort and were left running"));
            }
            throw failure;
        }
        return round.results();
    }

    /** Waits for the ranks; on a failure interrupts them and waits at most {@code grace} more (also RankThreads). */
    static List<Integer> await(List<Thread> threads, CountDownLatch done, AtomicBoolean failed,
            Duration grace) {
        long deadline = Long.MAX_VALUE;
        try {
            while (!done.await(20, TimeUnit.MILLISECONDS)) {
                if (failed.get() && deadline == Long.MAX_VALUE) {
                    threads.forEach(Thread::interrupt);
                    deadline = System.nanoTime() + grace.toNanos();
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            threads.forEach(Thread::interrupt);
            throw new IllegalStateException("interrupted while waiting for the ranks", e);
        }
        List<Integer> ranks = new ArrayList<>();
        for (int r = 0; r < threads.size(); r++) {
            ranks.add(r);
        }
        return ranks;
    }

    /** The exception naming the root failure among the ranks', or null when none failed (also RankThreads). */
    static RankFailedException failure(Throwable[] failures) {
        int root = -1;
        for (int r = 0; r < failures.length; r++) {
            if (failures[r] != null && !(failures[r] instanceof CollectiveAbortedException)
                    && (root < 0 || failures[root] instanceof CollectiveAbortedException)) {
                root = r;
            }
        }
        for (int r = 0; r < failures.length && root < 0; r++) {
            if (failures[r] != null) {
                root = r;
            }
        }
        if (root < 0) {
            return null;
        }
        RankFailedException e = new RankFailedException(root, failures[root]);
        for (int r = 0; r < failures.length; r++) {
            if (r != root && failures[r] != null) {
                e.addSuppressed(failures[r]);
            }
        }
        return e;
    }
}
