package io.ds4j.zero.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * One call of a body on every rank, whoever runs the ranks' threads ({@link Ranks} starts new ones,
 * {@link RankThreads} keeps its own): each rank's task, its result or failure, and the wait for all of them. A failing
 * rank aborts its group, so the others leave their collectives instead of waiting for it.
 *
 * @param <T> what the body returns
 */
final class RankRound<T> {
    private final List<T> results;
    private final Throwable[] failures;
    private final CountDownLatch done;
    private final AtomicIntegerArray finished;
    private final AtomicBoolean failed = new AtomicBoolean();

    RankRound(int ranks) {
        results = Collections.synchronizedList(new ArrayList<>(Collections.nCopies(ranks, null)));
        failures = new Throwable[ranks];
        done = new CountDownLatch(ranks);
        finished = new AtomicIntegerArray(ranks);
    }

    /** What rank {@code r}'s thread runs: the body on its handle, recording the result or the failure. */
    Runnable task(int r, Collectives handle, Ranks.Body<T> body) {
        return () -> {
            try {
                results.set(r, body.run(handle));
            } catch (Throwable e) {
                failures[r] = e;
                failed.set(true);
                handle.abort(e);
            } finally {
                finished.set(r, 1);
                done.countDown();
            }
        };
    }

    /**
     * Waits for every rank (on a failure, interrupting them and waiting at most {@code grace} more).
     *
     * @return the ranks that had not finished when the wait ended
     */
    List<Integer> await(List<Thread> threads, Duration grace) {
        List<Integer> stuck = Ranks.await(threads, done, failed, grace);
        stuck.removeIf(r -> finished.get(r) == 1);
        return stuck;
    }

    /** @return the exception naming the root failure among the ranks', or null when none failed */
    Ranks.RankFailedException failure() {
        return Ranks.failure(failures);
    }

    /** @return each rank's result, in rank order (a body may return null) */
    List<T> results() {
        return new ArrayList<>(results);
    }
}
