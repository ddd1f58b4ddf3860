package io.ds4j.schedules;

import static io.ds4j.schedules.Golden.lr;
import static io.ds4j.schedules.Golden.mom;
import static io.ds4j.schedules.Golden.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * OneCycle against DeepSpeed 0.19's formulas. In the cycle (i &lt; T = first + second) with b = i + 1 the position
 * is s = b / first on the way up (b &lt;= first) and (T - b) / second on the way down; a stair count n makes it
 * floor(s * n) / n; lr = min + (max - min) * s and momentum = max_mom - (max_mom - min_mom) * s. After the cycle,
 * with d = (i - T + 1) / decay_step_size: lr = min / (1 + decay_lr_rate * d), momentum = max_mom * (1 +
 * decay_mom_rate * d). Before the first step DeepSpeed writes cycle_min_lr and cycle_min_mom.
 */
class OneCycleGoldenTest {
    private static LrSchedule symmetric(Object... extra) {
        Object[] kv = new Object[6 + extra.length];
        System.arraycopy(new Object[] {"cycle_min_lr", 0.01, "cycle_max_lr", 0.1, "cycle_first_step_size", 10L},
                0, kv, 0, 6);
        System.arraycopy(extra, 0, kv, 6, extra.length);
        return Schedules.create("OneCycle", params(kv), 123.0);
    }

    @Test
    void symmetricCycleWithMomentumAndNoDecay() {
        LrSchedule s = symmetric();          // second = first = 10, T = 20, momentum 0.8..0.9 by default
        assertTrue(s.hasMomentum());
        lr(s, -1, 0.01);
        mom(s, -1, 0.8);                     // construction writes cycle_min_mom
        lr(s, 0, 0.01 + 0.09 * 0.1);         // b = 1
        mom(s, 0, 0.9 - 0.1 * 0.1);
        lr(s, 1, 0.01 + 0.09 * 0.2);
        lr(s, 2, 0.01 + 0.09 * 0.3);
        lr(s, 9, 0.1);                       // b = 10: the peak
        mom(s, 9, 0.8);
        lr(s, 10, 0.01 + 0.09 * 0.9);        // b = 11: (20 - 11) / 10
        mom(s, 10, 0.9 - 0.1 * 0.9);
        lr(s, 18, 0.01 + 0.09 * 0.1);
        lr(s, 19, 0.01);                     // b = 20 = T: back at the bottom
        mom(s, 19, 0.9);
        lr(s, 20, 0.01);                     // decay phase without decay
        mom(s, 20, 0.9);
        lr(s, 21, 0.01);
        lr(s, 20000, 0.01);
        mom(s, 20000, 0.9);
    }

    @Test
    void decayPhase() {
        LrSchedule s = symmetric("decay_step_size", 5L, "decay_lr_rate", 0.5, "decay_mom_rate", 0.001);
        lr(s, 19, 0.01);
        lr(s, 20, 0.01 / (1 + 0.5 * (1.0 / 5)));           // d = (20 - 20 + 1) / 5
        mom(s, 20, 0.9 * (1 + 0.001 * (1.0 / 5)));
        lr(s, 21, 0.01 / (1 + 0.5 * (2.0 / 5)));
        lr(s, 20000, 0.01 / (1 + 0.5 * (19981.0 / 5)));
        mom(s, 20000, 0.9 * (1 + 0.001 * (19981.0 / 5)));
        // a zero decay_step_size turns both decays off, whatever the rates
        LrSchedule off = symmetric("decay_step_size", 0L, "decay_lr_rate", 0.5, "decay_mom_rate", 0.1);
        lr(off, 500, 0.01);
        mom(off, 500, 0.9);
        // a zero rate turns only its own decay off
        LrSchedule momOnly = symmetric("decay_step_size", 4L, "decay_mom_rate", -0.01);
        lr(momOnly, 27, 0.01);
        mom(momOnly, 27, 0.9 * (1 - 0.01 * (8.0 / 4)));
    }

    @Test
    void asymmetricCycle() {
        // first 4, second 6, T = 10
        LrSchedule s = Schedules.create("OneCycle", params("cycle_min_lr", 1.0, "cycle_max_lr", 2.0,
                "cycle_first_step_size", 4L, "cycle_second_step_size", 6L, "cycle_momentum", false), 0);
        assertFalse(s.hasMomentum());
        assertThrows(UnsupportedOperationException.class, () -> s.momentum(0));
        lr(s, 2, 1.0 + 3.0 / 4);
        lr(s, 3, 2.0);                       // b = 4 = first: the peak
        lr(s, 4, 1.0 + 5.0 / 6);             // b = 5: (10 - 5) / 6
        lr(s, 8, 1.0 + 1.0 / 6);
        lr(s, 9, 1.0);
        lr(s, 10, 1.0);
    }

    @Test
    void stairs() {
        // 4 stairs per half (second count defaults to the first): s = floor(4 * position) / 4
        LrSchedule s = symmetric("cycle_first_stair_count", 4L);
        lr(s, -1, 0.01);
        lr(s, 0, 0.01);                       // floor(0.4) = 0
        lr(s, 1, 0.01);                       // floor(0.8) = 0
        lr(s, 2, 0.01 + 0.09 * 0.25);         // floor(1.2) = 1
        lr(s, 4, 0.01 + 0.09 * 0.5);          // floor(2.0) = 2
        lr(s, 9, 0.1);                        // floor(4) = 4
        mom(s, 9, 0.8);
        lr(s, 10, 0.01 + 0.09 * 0.75);        // down: floor((20 - 11) * 4 / 10) = floor(3.6) = 3
        mom(s, 10, 0.9 - 0.1 * 0.75);
        lr(s, 19, 0.01);
        // different counts per half: 5 up, 2 down
        LrSchedule two = symmetric("cycle_first_stair_count", 5L, "cycle_second_stair_count", 2L);
        lr(two, 2, 0.01 + 0.09 * 0.2);        // floor(3 * 5 / 10) = 1 of 5
        lr(two, 10, 0.01 + 0.09 * 0.5);       // floor(9 * 2 / 10) = 1 of 2
        lr(two, 14, 0.01 + 0.09 * 0.5);       // b = 15: floor((20 - 15) * 2 / 10) = 1 of 2
        lr(two, 16, 0.01);                    // b = 17: floor(0.6) = 0
    }

    @Test
    void stairsReachThePeakOnAnAsymmetricCycle() {
        // first 3, second 7, 3 stairs up: at b = 3 the position is 3 * 3 / 3 = 3 exactly, so s = 1
        LrSchedule s = Schedules.create("OneCycle", params("cycle_min_lr", 0.0, "cycle_max_lr", 1.0,
                "cycle_first_step_size", 3L, "cycle_second_step_size", 7L, "cycle_first_stair_count", 3L), 0);
        lr(s, 1, 2.0 / 3);
        lr(s, 2, 1.0);
        lr(s, 3, 2.0 / 3);                    // down: floor((10 - 4) * 3 / 7) = floor(2.57) = 2
    }

    @Test
    void defaultsAndZeroSecondHalf() {
        // only the required keys: first = second = 2000, T = 4000
        LrSchedule s = Schedules.create("OneCycle", params("cycle_min_lr", 0.001, "cycle_max_lr", 0.01), 0);
        lr(s, 999, 0.001 + 0.009 * (1000.0 / 2000));
        lr(s, 1999, 0.01);
        lr(s, 3999, 0.001);
        lr(s, 4000, 0.001);
        lr(s, 20000, 0.001);
        mom(s, 1999, 0.8);
        // second half 0: T = first = 10, the lr only rises and drops back at b = T
        LrSchedule up = symmetric("cycle_second_step_size", 0L);
        lr(up, 0, 0.01 + 0.09 * 0.1);
        lr(up, 8, 0.01 + 0.09 * 0.9);
        lr(up, 9, 0.01);
        lr(up, 10, 0.01);
        // explicit null second step size means "same as the first"
        LrSchedule nul = symmetric("cycle_second_step_size", null, "cycle_second_stair_count", null);
        lr(nul, 10, 0.01 + 0.09 * 0.9);
    }

    @Test
    void invalidShapes() {
        assertEquals("cycle_first_step_size",
                assertThrows(ScheduleConfigException.class, () -> symmetric("cycle_first_step_size", 0L)).key());
        assertEquals("cycle_second_step_size",
                assertThrows(ScheduleConfigException.class, () -> symmetric("cycle_second_step_size", -1L)).key());
        assertEquals("cycle_max_lr", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("OneCycle", Golden.params("cycle_min_lr", 0.1), 0)).key());
    }
}
