package io.ds4j.zero.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A small fixed pool that runs a kernel over contiguous parts of a range, one part per thread (the calling thread runs
 * part 0). Contiguous static parts keep each thread streaming through memory, which is what reaches memory bandwidth.
 * Per-part accumulators are summed in part order, so reductions are deterministic for a given thread count.
 */
public final class KernelPool implements AutoCloseable {
    /** Below this many elements per thread, fewer threads are used (thread hand-off would dominate). */
    static final long MIN_PART = 1 << 15;
    private final int threads;
    private final ExecutorService executor;

    /** A pool of {@code threads} threads (including the caller's). */
    public KernelPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("kernel threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.executor = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "ds4j-kernel");
            t.setDaemon(true);
            return t;
        });
    }

    /** A pool with one thread per available processor. */
    public static KernelPool withAvailableProcessors() {
        return new KernelPool(Runtime.getRuntime().availableProcessors());
    }

    /** The number of threads. */
    public int threads() {
        return threads;
    }

    /** The work on one part: elements {@code [from, to)}, adding into {@code acc}. */
    @FunctionalInterface
    public interface Part {
        /** Processes one part. */
        void run(long from, long to, double[] acc);
    }

    /**
     * Runs {@code body} over {@code [from, from + length)} split into contiguous parts aligned to 16 elements.
     *
     * @param accumulators size of each part's accumulator array
     * @return the accumulators summed over parts in part order
     */
    public double[] run(long from, long length, int accumulators, Part body) {
        int parts = (int) Math.max(1, Math.min(threads, length / MIN_PART));
        long per = (length / parts + 15) / 16 * 16;
        double[][] acc = new double[parts][accumulators];
        List<Future<?>> futures = new ArrayList<>();
        for (int p = 1; p < parts; p++) {
            long a = from + Math.min(length, p * per);
            long b = from + Math.min(length, (p + 1L) * per);
            double[] pa = acc[p];
            long end = p == parts - 1 ? from + length : b;
            futures.add(executor.submit(() -> body.run(a, end, pa)));
        }
        try {
            body.run(from, from + Math.min(length, per), acc[0]);
        } finally {
            await(futures);
        }
        double[] sum = new double[accumulators];
        for (double[] a : acc) {
            for (int i = 0; i < accumulators; i++) {
                sum[i] += a[i];
            }
        }
        return sum;
    }

    private static void await(List<Future<?>> futures) {
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while a kernel ran", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
