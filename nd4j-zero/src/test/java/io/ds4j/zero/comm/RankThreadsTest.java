package io.ds4j.zero.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RankThreads}: the same thread per rank for every run, collectives between them, failures as Ranks.run. */
class RankThreadsTest {
    private static final Duration LONG = Duration.ofSeconds(20);

    @Test
    void everyRunUsesTheSameThreadPerRank() {
        try (RankThreads t = RankThreads.start(InProcessCollectives.create(3, LONG))) {
            List<Thread> first = t.run(c -> Thread.currentThread());
            for (int step = 0; step < 5; step++) {
                List<Thread> now = t.run(c -> Thread.currentThread());
                for (int r = 0; r < 3; r++) {
                    assertSame(first.get(r), now.get(r), "rank " + r + " at run " + step);
                }
            }
            assertEquals(t.threads(), first);
            assertEquals("ds4j-rank-2", first.get(2).getName());
        }
    }

    @Test
    void ranksMeetInCollectivesAndReturnTheirResults() {
        try (RankThreads t = RankThreads.start(InProcessCollectives.create(2, LONG))) {
            assertEquals(List.of(3.0, 3.0), t.run(c -> c.allReduceSum(c.rank() + 1.0)));
            assertEquals(java.util.Arrays.asList(null, null), t.run(c -> null));
        }
    }

    @Test
    void aFailingRankIsNamedAndTheOthersAreAborted() {
        try (RankThreads t = RankThreads.start(InProcessCollectives.create(2, LONG))) {
            Ranks.RankFailedException e = assertThrows(Ranks.RankFailedException.class,
                    () -> assertTimeoutPreemptively(Duration.ofSeconds(10), () -> t.run(c -> {
                        if (c.rank() == 1) {
                            throw new IllegalArgumentException("bad input on rank 1");
                        }
                        return c.allReduceSum(1.0); // rank 0 waits in a collective and is aborted
                    })));
            assertEquals(1, e.rank());
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            // the threads themselves survive a failure (the group is aborted, a body without collectives still runs)
            assertEquals(List.of(0, 1), t.run(Collectives::rank));
        }
    }

    @Test
    void closeStopsTheThreadsAndRefusesLaterRuns() throws InterruptedException {
        RankThreads t = RankThreads.start(InProcessCollectives.create(2, LONG));
        List<Thread> threads = t.threads();
        t.close();
        for (Thread th : threads) {
            th.join(5000);
            assertFalse(th.isAlive(), th.getName() + " still running after close()");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.run(c -> 1));
        assertTrue(e.getMessage().contains("CLOSED"), e.getMessage());
    }

    @Test
    void runFromARankThreadIsRefusedNotDeadlocked() {
        try (RankThreads t = RankThreads.start(InProcessCollectives.create(1, LONG))) {
            Ranks.RankFailedException e = assertThrows(Ranks.RankFailedException.class,
                    () -> assertTimeoutPreemptively(Duration.ofSeconds(10), () -> t.run(c -> t.run(d -> 1))));
            assertInstanceOf(IllegalStateException.class, e.getCause());
        }
    }
}
