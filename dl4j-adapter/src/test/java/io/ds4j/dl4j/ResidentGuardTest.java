package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ResidentGuard}'s policy, on a scripted resident set and clock: it settles on the largest reading of the
 * first 3 steps, collects only above settled + slack (a fraction, at least 32 MiB), and never spends more than 1/50
 * of the wall time in its collections.
 */
class ResidentGuardTest {
    private static final long MIB = 1L << 20;

    /** A scripted process: the resident bytes each step reports, the clock, and the collections it was asked for. */
    private static final class Script {
        long resident;
        long now;
        long collectTakes = 10_000_000; // 10 ms
        final List<Long> collectedAt = new ArrayList<>();

        ResidentGuard guard(double slack) {
            return new ResidentGuard(slack, () -> resident, () -> now, () -> {
                collectedAt.add(now);
                now += collectTakes;
            });
        }
    }

    @Test
    void settlesOnTheLargestOfTheFirstThreeStepsAndCollectsOnlyAboveTheSlack() {
        Script s = new Script();
        ResidentGuard g = s.guard(0.10);
        for (long r : new long[] {400 * MIB, 500 * MIB, 450 * MIB}) { // settling: never collects, whatever it reads
            s.resident = r;
            g.afterStep();
            s.now += 1_000_000_000L;
        }
        assertEquals(550 * MIB, g.limit(), "500 MiB settled + 10% of it");
        s.resident = 550 * MIB; // at the limit: no collection
        g.afterStep();
        assertEquals(0, g.collections());
        s.resident = 550 * MIB + 1;
        g.afterStep();
        assertEquals(1, g.collections());
    }

    @Test
    void theSlackIsAtLeast32MiB() {
        Script s = new Script();
        ResidentGuard g = s.guard(0.10);
        s.resident = 100 * MIB; // 10% would be 10 MiB
        for (int i = 0; i < 3; i++) {
            g.afterStep();
        }
        assertEquals(132 * MIB, g.limit());
        s.resident = 131 * MIB;
        g.afterStep();
        assertEquals(0, g.collections());
    }

    @Test
    void collectionsTakeAtMostOneFiftiethOfTheWallTime() {
        Script s = new Script();
        ResidentGuard g = s.guard(0.10);
        s.resident = 200 * MIB;
        for (int i = 0; i < 3; i++) {
            g.afterStep();
        }
        s.resident = 1000 * MIB; // stays above the limit: every step would collect without the time share
        long stepNanos = 20_000_000; // 20 ms steps, 10 ms collections
        for (int i = 0; i < 1000; i++) {
            g.afterStep();
            s.now += stepNanos;
        }
        long collecting = s.collectedAt.size() * s.collectTakes;
        assertTrue(collecting * ResidentGuard.TIME_SHARE <= s.now + s.collectTakes * ResidentGuard.TIME_SHARE,
                "collecting " + collecting + " ns of " + s.now);
        assertTrue(s.collectedAt.size() >= 2, "still collects, now and then: " + s.collectedAt.size());
        for (int i = 1; i < s.collectedAt.size(); i++) {
            long gap = s.collectedAt.get(i) - s.collectedAt.get(i - 1);
            assertTrue(gap >= s.collectTakes * ResidentGuard.TIME_SHARE, "gap " + gap);
        }
    }

    @Test
    void aSlackOfZeroIsOff() {
        Script s = new Script();
        ResidentGuard g = s.guard(0);
        s.resident = 100 * MIB;
        g.afterStep();
        s.resident = 10_000 * MIB;
        for (int i = 0; i < 10; i++) {
            g.afterStep();
        }
        assertEquals(0, g.collections());
        assertEquals(Long.MAX_VALUE, g.limit());
    }

    @Test
    void theSystemPropertySetsTheDefaultAndABadValueIsNamed() {
        assertEquals(ResidentGuard.DEFAULT_SLACK, ResidentGuard.fromProperty(null));
        assertEquals(0.0, ResidentGuard.fromProperty("0"));
        assertEquals(0.25, ResidentGuard.fromProperty(" 0.25 "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResidentGuard.fromProperty("ten percent"));
        assertTrue(e.getMessage().contains("-Dds4j.resident.slack=ten percent"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResidentGuard.check(-0.1));
        assertTrue(e.getMessage().contains("residentSlack: -0.1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ResidentGuard.check(Double.NaN));
    }
}
