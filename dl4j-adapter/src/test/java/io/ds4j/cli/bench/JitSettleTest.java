package io.ds4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * bench comm's untimed passes before the timed ones: both ranks run the same passes, until neither rank's JIT finished
 * a compilation for the quiet time, or the budget is spent. The JIT and the clock are counters each test drives (each
 * collective run advances a rank's clock by a fixed step), so nothing depends on how fast the machine is.
 */
class JitSettleTest {
    private static final Duration WAIT = Duration.ofMinutes(1);
    private static final long MS = 1_000_000L;

    @Test
    void bothRanksRunPassesUntilNeitherCompiledForTheQuietTime() {
        AtomicInteger runs = new AtomicInteger();
        List<int[]> out = Ranks.run(InProcessCollectives.create(2, WAIT), c -> {
            AtomicLong compiled = new AtomicLong();
            AtomicLong clock = new AtomicLong();
            AtomicInteger mine = new AtomicInteger();
            // rank 1's JIT finishes a compilation in each of its first 3 passes (of 4 runs); rank 0's never does
            Runnable op = () -> {
                runs.incrementAndGet();
                clock.addAndGet(MS);
                if (c.rank() == 1 && mine.incrementAndGet() <= 12) {
                    compiled.incrementAndGet();
                }
            };
            int passes = JitSettle.settle(c, 4, op, compiled::get, 1, Long.MAX_VALUE, clock::get);
            return new int[] {passes, mine.get()};
        });
        assertEquals(4, out.get(0)[0], "3 passes while rank 1 compiled, then one quiet pass");
        assertEquals(4, out.get(1)[0], "the same passes on both ranks");
        assertEquals(2 * 4 * 4, runs.get(), "4 runs per pass on each rank");
    }

    @Test
    void aQuietPassShorterThanTheQuietTimeIsNotEnough() {
        List<Integer> passes = Ranks.run(InProcessCollectives.create(2, WAIT), c -> {
            AtomicLong clock = new AtomicLong();
            // rank 0's passes take 5 ms, rank 1's 2 ms: the slower rank's time counts
            return JitSettle.settle(c, 1, () -> clock.addAndGet(c.rank() == 0 ? 5 * MS : 2 * MS), () -> 0,
                    40 * MS, Long.MAX_VALUE, clock::get);
        });
        assertEquals(List.of(8, 8), passes, "40 ms of quiet in 5 ms passes");
    }

    @Test
    void stopsAtTheBudgetWhileTheJitKeepsCompiling() {
        List<Integer> passes = Ranks.run(InProcessCollectives.create(2, WAIT), c -> {
            AtomicLong clock = new AtomicLong();
            AtomicLong compiled = new AtomicLong();
            // the JIT finishes something in every pass; 2 runs of 2 ms per pass, a 20 ms budget
            return JitSettle.settle(c, 2, () -> {
                clock.addAndGet(2 * MS);
                compiled.incrementAndGet();
            }, compiled::get, 1, 20 * MS, clock::get);
        });
        assertEquals(List.of(5, 5), passes, "20 ms of 4 ms passes, on both ranks");
    }
}
