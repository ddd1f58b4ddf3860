package io.ds4j.zero.comm.ucx;

import java.util.concurrent.locks.LockSupport;

/**
 * How a rank waits between polls of its UCX worker: spin while messages move, then yield, then sleep briefly, so that
 * ranks sharing few cores (tests, one host) leave each other CPU time without adding latency under load.
 */
final class Backoff {
    private static final int SPINS = 64;
    private static final int YIELDS = 1024;
    private static final long SLEEP_NANOS = 50_000;

    private Backoff() {
    }

    /** Pauses after {@code idle} consecutive polls that moved nothing. */
    static void pause(int idle) {
        if (idle < SPINS) {
            Thread.onSpinWait();
        } else if (idle < YIELDS) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(SLEEP_NANOS);
        }
    }
}
