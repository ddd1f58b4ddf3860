package io.ds4j.zero.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One long-lived thread per rank, for a trainer that runs many steps: {@link #run} hands every rank's thread the same
 * body and waits for all of them, with {@link Ranks#run}'s failure rules (a rank that throws aborts the group, the
 * others are interrupted, a rank still running {@link Ranks#GRACE} later is left behind and named). Unlike
 * {@link Ranks#run}, which starts new threads each call, the threads stay the same for the object's life, so per-thread
 * state survives from step to step: native settings (an OpenMP team size), and caches that libraries keep per thread
 * (SameDiff keeps one inference session per thread; new threads every step would leave one behind per step).
 *
 * <p>Call order: {@link #start}, any number of {@link #run} (from one caller thread at a time, never from a rank
 * thread), {@link #close()}. After a run in which a rank did not stop, the threads are unusable and {@code run}
 * throws.
 */
public final class RankThreads implements AutoCloseable {
    private static final Runnable STOP = () -> { };

    private final List<? extends Collectives> handles;
    private final Duration grace;
    private final List<Thread> threads = new ArrayList<>();
    private final List<BlockingQueue<Runnable>> inboxes = new ArrayList<>();
    private volatile boolean closed;
    private String broken;

    private RankThreads(List<? extends Collectives> handles, Duration grace) {
        this.handles = List.copyOf(handles);
        this.grace = Objects.requireNonNull(grace, "grace");
        for (int r = 0; r < this.handles.size(); r++) {
            BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
            Thread t = new Thread(() -> loop(inbox), "ds4j-rank-" + r);
            t.setDaemon(true);
            inboxes.add(inbox);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /**
     * Starts one daemon thread per handle, named {@code ds4j-rank-<r>}.
     *
     * @param handles the ranks' collectives, index r for rank r
     * @return the threads, idle until {@link #run}
     */
    public static RankThreads start(List<? extends Collectives> handles) {
        return start(handles, Ranks.GRACE);
    }

    /** {@link #start(List)} with another grace period for ranks to stop after a failure. */
    public static RankThreads start(List<? extends Collectives> handles, Duration grace) {
        if (handles.isEmpty()) {
            throw new IllegalArgumentException("handles: empty; pass one Collectives per rank");
        }
        return new RankThreads(handles, grace);
    }

    private void loop(BlockingQueue<Runnable> inbox) {
        while (true) {
            Runnable task;
            try {
                task = inbox.take();
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
                continue; // an abort of a run this rank had already finished
            }
            if (task == STOP) {
                return;
            }
            Thread.interrupted(); // an interrupt left over from an earlier run's abort is not this run's
            task.run();
        }
    }

    /**
     * Runs {@code body} on every rank's thread and waits for all of them.
     *
     * @return the results, index r for rank r
     * @throws Ranks.RankFailedException when any rank threw
     * @throws IllegalStateException when closed, broken by an earlier run, or called from a rank thread
     */
    public <T> List<T> run(Ranks.Body<T> body) {
        Objects.requireNonNull(body, "body");
        if (threads.contains(Thread.currentThread())) { // checked before the lock, which the caller holds
            throw new IllegalStateException("run() called from rank thread " + Thread.currentThread().getName()
                    + "; call it from the thread that drives the ranks");
        }
        return runLocked(body);
    }

    private synchronized <T> List<T> runLocked(Ranks.Body<T> body) {
        checkUsable();
        int n = handles.size();
        RankRound<T> round = new RankRound<>(n);
        for (int r = 0; r < n; r++) {
            inboxes.get(r).add(round.task(r, handles.get(r), body));
        }
        List<Integer> stuck = round.await(threads, grace);
        Ranks.RankFailedException failure = round.failure();
        if (failure != null) {
            if (!stuck.isEmpty()) {
                broken = "rank(s) " + stuck + " did not stop within " + grace.toMillis() + " ms of the abort";
                failure.addSuppressed(new IllegalStateException(broken + " and were left running"));
            }
            throw failure;
        }
        return round.results();
    }

    private void checkUsable() {
        if (closed) {
            throw new IllegalStateException("these rank threads are CLOSED; start new ones");
        }
        if (broken != null) {
            throw new IllegalStateException("these rank threads are unusable: " + broken);
        }
    }

    /** @return the ranks' threads, index r for rank r (the same for the object's life) */
    public List<Thread> threads() {
        return List.copyOf(threads);
    }

    /** Stops the threads once they finish what they run (idle threads stop at once); waits up to the grace. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        inboxes.forEach(q -> q.add(STOP));
        long deadline = System.nanoTime() + grace.toNanos();
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
