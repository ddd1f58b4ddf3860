package io.ds4j.zero.comm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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

    /**
     * Runs {@code body} for every handle on threads named {@code ds4j-rank-<r>} and waits for all of them.
     *
     * @return the results, index r for rank r
     * @throws RankFailedException when any rank threw
     */
    public static <T> List<T> run(List<? extends Collectives> handles, Body<T> body) {
        Objects.requireNonNull(body, "body");
        int n = handles.size();
        List<T> results = new ArrayList<>(java.util.Collections.nCopies(n, null));
        Throwable[] failures = new Throwable[n];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            Collectives c = handles.get(r);
            int idx = r;
            Thread t = new Thread(() -> {
                try {
                    results.set(idx, body.run(c));
                } catch (Throwable e) {
                    failures[idx] = e;
                    c.abort(e);
                }
            }, "ds4j-rank-" + r);
            threads.add(t);
            t.start();
        }
        joinAll(threads);
        RankFailedException failure = failure(failures);
        if (failure != null) {
            throw failure;
        }
        return results;
    }

    private static void joinAll(List<Thread> threads) {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + t.getName(), e);
            }
        }
    }

    private static RankFailedException failure(Throwable[] failures) {
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
