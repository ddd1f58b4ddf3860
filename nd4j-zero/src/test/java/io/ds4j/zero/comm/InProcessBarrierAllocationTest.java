package io.ds4j.zero.comm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * A barrier between in-process ranks allocates a few small objects (what each rank posts), not a description of what
 * every rank posted: the shape check runs at every barrier and every collective, and it built that description each
 * time, mismatch or not (about 5% of a stage-3 step's heap garbage). Measured with the JVM's per-thread allocation
 * counter over many barriers after a warm-up, summed over both ranks' threads.
 */
class InProcessBarrierAllocationTest {
    private static final int BARRIERS = 20_000;
    /** Bytes per barrier for both ranks together: what they post (two small records each) with room to spare. */
    private static final long BOUND_PER_BARRIER = 400;

    @Test
    void aBarrierDoesNotDescribeTheRanksWhenTheyAgree() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<Long> allocated = Ranks.run(InProcessCollectives.create(2, Duration.ofMinutes(1)), c -> {
            for (int i = 0; i < BARRIERS; i++) {
                c.barrier();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < BARRIERS; i++) {
                c.barrier();
            }
            return threads.getCurrentThreadAllocatedBytes() - before;
        });
        long total = allocated.get(0) + allocated.get(1);
        assertTrue(total < BOUND_PER_BARRIER * BARRIERS, "allocated " + total + " bytes over " + BARRIERS
                + " barriers (" + total / BARRIERS + " per barrier, both ranks), bound " + BOUND_PER_BARRIER);
    }
}
