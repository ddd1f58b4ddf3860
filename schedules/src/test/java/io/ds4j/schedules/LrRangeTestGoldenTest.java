package io.ds4j.schedules;

import static io.ds4j.schedules.Golden.lr;
import static io.ds4j.schedules.Golden.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** LRRangeTest: lr = min_lr * (1 + rate * interval), interval = (i + 1) / size, floored for the staircase. */
class LrRangeTestGoldenTest {
    @Test
    void continuousDefaults() {
        // min 1e-3, size 2000, rate 1
        LrSchedule s = Schedules.create("LRRangeTest", params(), 0.5);
        lr(s, -1, 1e-3);
        lr(s, 0, 1e-3 * (1 + 1.0 / 2000));
        lr(s, 1, 1e-3 * (1 + 2.0 / 2000));
        lr(s, 2, 1e-3 * (1 + 3.0 / 2000));
        lr(s, 1999, 2e-3);
        lr(s, 2000, 1e-3 * (1 + 2001.0 / 2000));
        lr(s, 20000, 1e-3 * (1 + 20001.0 / 2000));
    }

    @Test
    void staircase() {
        // min 0.01, size 10, rate 0.5: the lr moves once every 10 iterations, first at i = 9
        LrSchedule s = Schedules.create("LRRangeTest", params("lr_range_test_min_lr", 0.01,
                "lr_range_test_step_size", 10L, "lr_range_test_step_rate", 0.5, "lr_range_test_staircase", true), 0);
        lr(s, -1, 0.01);
        lr(s, 0, 0.01);
        lr(s, 1, 0.01);
        lr(s, 8, 0.01);                       // floor(9/10) = 0
        lr(s, 9, 0.01 * 1.5);                 // floor(10/10) = 1
        lr(s, 10, 0.01 * 1.5);
        lr(s, 19, 0.01 * 2.0);
        lr(s, 20000, 0.01 * (1 + 0.5 * 2000));   // floor(20001/10) = 2000
    }

    @Test
    void stepSizeMustBeAPositiveInteger() {
        for (Object bad : new Object[] {0L, -1L, 2.5}) {
            ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                    () -> Schedules.create("LRRangeTest", params("lr_range_test_step_size", bad), 0));
            assertEquals("lr_range_test_step_size", e.key());
        }
        assertEquals("lr_range_test_staircase", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("LRRangeTest", params("lr_range_test_staircase", 1L), 0)).key());
    }
}
