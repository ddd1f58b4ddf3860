package io.ds4j.cli.bench;

import io.ds4j.zero.comm.Collectives;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Untimed passes of a collective, each shaped as the timed one (a barrier, then the collective, as many times), until
 * the JIT compiler has finished no compilation on any rank for {@link #QUIET_NANOS}. A rank process is a fresh JVM: its
 * compiler threads go on compiling the code of the earlier sizes and collectives for seconds, and on a host with few
 * cores they take one from the two ranks, which then wait for each other (measured with perf in bench comm's rank
 * processes: the JIT's threads used a quarter of the 2 cores during the timed all-reduce windows of 1-16 MiB). A
 * training run reaches the steady state within its first steps; the timed runs should measure that state too.
 */
final class JitSettle {
    /** How long no rank's JIT may have finished a compilation before the timed runs start. */
    static final long QUIET_NANOS = 100_000_000L;
    /** The most settling takes per collective, path and size; the timed runs then start anyway. */
    static final long BUDGET_NANOS = 2_000_000_000L;

    private JitSettle() {
    }

    /** Milliseconds this JVM's JIT has spent on the compilations it finished, or a constant where not measured. */
    static LongSupplier compiledMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return () -> 0;
        }
        return jit::getTotalCompilationTime;
    }

    /**
     * Runs passes of {@code iterations} x ({@code c.barrier()}, {@code op}) until no rank's {@code compiledMillis}
     * moved during passes lasting {@code quietNanos} in a row (on the slowest rank), or {@code budgetNanos} have passed
     * on some rank. Every rank of the group calls this with the same arguments and runs the same number of passes (the
     * decision goes through the group).
     *
     * @return the passes run (at least one)
     */
    static int settle(Collectives c, int iterations, Runnable op, LongSupplier compiledMillis, long quietNanos,
            long budgetNanos) {
        return settle(c, iterations, op, compiledMillis, quietNanos, budgetNanos, System::nanoTime);
    }

    /** As {@link #settle(Collectives, int, Runnable, LongSupplier, long, long)} on {@code clock} (nanoseconds). */
    static int settle(Collectives c, int iterations, Runnable op, LongSupplier compiledMillis, long quietNanos,
            long budgetNanos, LongSupplier clock) {
        long start = clock.getAsLong();
        long quiet = 0;
        int passes = 0;
        while (true) {
            long j0 = compiledMillis.getAsLong();
            long t0 = clock.getAsLong();
            for (int i = 0; i < iterations; i++) {
                c.barrier();
                op.run();
            }
            passes++;
            double compiled = c.allReduceMax((double) (compiledMillis.getAsLong() - j0));
            double took = c.allReduceMax((double) (clock.getAsLong() - t0));
            quiet = compiled > 0 ? 0 : quiet + (long) took;
            double late = c.allReduceMax(clock.getAsLong() - start >= budgetNanos ? 1 : 0);
            if (quiet >= quietNanos || late > 0) {
                return passes;
            }
        }
    }
}
