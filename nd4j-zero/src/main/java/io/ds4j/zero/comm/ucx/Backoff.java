package io.ds4j.zero.comm.ucx;

import java.util.concurrent.locks.LockSupport;

/**
 * How a rank waits between polls of its UCX worker: spin while messages move, then yield, then sleep briefly, so that
 * ranks sharing few cores (tests, one host) leave each other CPU time without adding latency under load. The stages go
 * by how long nothing has moved, not by how many polls: under load a poll takes longer, and a rank that sleeps between
 * the chunks of a pipelined collective stalls its peer for a scheduler tick each time.
 */
final class Backoff {
    private static final long SPIN_NANOS = 20_000;
    private static final long YIELD_NANOS = 2_000_000;
    private static final long SLEEP_NANOS = 50_000;

    private Backoff() {
    }

    /** Pauses after nothing has moved for {@code idleNanos}. */
    static void pause(long idleNanos) {
        if (idleNanos < SPIN_NANOS) {
            Thread.onSpinWait();
        } else if (idleNanos < YIELD_NANOS) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(SLEEP_NANOS);
        }
    }
}
