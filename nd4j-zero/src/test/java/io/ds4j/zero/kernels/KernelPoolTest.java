package io.ds4j.zero.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

/** {@link KernelPool}: parts tile the range exactly once, accumulators add up, failures reach the caller. */
class KernelPoolTest {
    @Test
    void partsCoverTheRangeOnceAndAccumulatorsSum() {
        int n = 200_003;
        AtomicIntegerArray seen = new AtomicIntegerArray(n + 20);
        try (KernelPool pool = new KernelPool(3)) {
            double[] acc = pool.run(10, n, 2, (from, to, a) -> {
                for (long i = from; i < to; i++) {
                    seen.incrementAndGet((int) i);
                    a[0] += 1;
                    a[1] += i;
                }
            });
            for (int i = 0; i < n + 20; i++) {
                assertEquals(i >= 10 && i < n + 10 ? 1 : 0, seen.get(i), "element " + i);
            }
            assertEquals(n, acc[0], 0);
            // sum of i over [10, n + 10) = n * (10 + n + 9) / 2, exact in double at this size
            assertEquals((double) n * (10 + n + 9) / 2, acc[1], 0);
            assertEquals(0, pool.run(0, 0, 1, (from, to, a) -> a[0] += to - from)[0], 0);
        }
    }

    @Test
    void aFailingPartReachesTheCaller() {
        try (KernelPool pool = new KernelPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(0, 1 << 20, 0,
                    (from, to, a) -> {
                        if (from > 0) {
                            throw new IllegalStateException("part at " + from);
                        }
                    }));
            assertEquals("part at " + (1 << 19), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new KernelPool(0));
    }
}
