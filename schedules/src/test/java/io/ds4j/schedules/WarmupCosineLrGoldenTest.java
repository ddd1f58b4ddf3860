package io.ds4j.schedules;

import static io.ds4j.schedules.Golden.lr;
import static io.ds4j.schedules.Golden.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * WarmupCosineLR against DeepSpeed 0.19's formulas worked out in each case: lr = optimizer_lr * ratio; during
 * warmup ratio = wmin + fraction * (1 - wmin); after, ratio = cmin + (1 - cmin) * (1 + cos(pi * p)) / 2 with
 * p = min(1, (i - W + 1) / max(1, total - W)); lr(-1) = 0.
 */
class WarmupCosineLrGoldenTest {
    private static double cosine(double cmin, double p) {
        return cmin + (1 - cmin) * (1 + Math.cos(Math.PI * p)) / 2;
    }

    @Test
    void linearWarmupThenCosineToTheFloor() {
        // optimizer lr 0.1, total 1000, W 100, wmin 0.1, cmin 0.01, linear
        LrSchedule s = Schedules.create("WarmupCosineLR", params("total_num_steps", 1000L, "warmup_min_ratio", 0.1,
                "warmup_num_steps", 100L, "cos_min_ratio", 0.01, "warmup_type", "linear"), 0.1);
        lr(s, -1, 0.0);                              // DeepSpeed writes 0 before the first step
        lr(s, 0, 0.1 * 0.1);                         // ratio = wmin
        lr(s, 1, 0.1 * (0.1 + 0.01 * 0.9));
        lr(s, 2, 0.1 * (0.1 + 0.02 * 0.9));
        lr(s, 99, 0.1 * (0.1 + 0.99 * 0.9));
        lr(s, 100, 0.1 * cosine(0.01, 1.0 / 900));  // first post-warmup step is already 1/900 into the cosine
        lr(s, 101, 0.1 * cosine(0.01, 2.0 / 900));
        lr(s, 550, 0.1 * cosine(0.01, 451.0 / 900));
        lr(s, 999, 0.1 * 0.01);                      // p = 900/900 = 1: the floor
        lr(s, 1000, 0.1 * 0.01);                     // clamped at p = 1
        lr(s, 1001, 0.1 * 0.01);
        lr(s, 20000, 0.1 * 0.01);
    }

    @Test
    void defaultsLogWarmupOver1000AndFloorOf00001() {
        // optimizer lr 0.02, total 2000; defaults wmin 0, cmin 0.0001, W 1000, log
        LrSchedule s = Schedules.create("WarmupCosineLR", params("total_num_steps", 2000L), 0.02);
        double ln1000 = Math.log(1000);
        lr(s, -1, 0.0);
        lr(s, 0, 0.0);
        lr(s, 1, 0.02 * Math.log(2) / ln1000);
        lr(s, 2, 0.02 * Math.log(3) / ln1000);
        lr(s, 999, 0.02);
        lr(s, 1000, 0.02 * cosine(0.0001, 1.0 / 1000));
        lr(s, 1001, 0.02 * cosine(0.0001, 2.0 / 1000));
        lr(s, 1999, 0.02 * 0.0001);
        lr(s, 2000, 0.02 * 0.0001);
        lr(s, 2001, 0.02 * 0.0001);
        lr(s, 20000, 0.02 * 0.0001);
    }

    @Test
    void edgeCases() {
        // total below warmup: max(1, 50 - 100) = 1 and p = min(1, 1/1) = 1, so straight to the floor
        LrSchedule shortTotal = Schedules.create("WarmupCosineLR", params("total_num_steps", 50L,
                "warmup_num_steps", 100L, "warmup_type", "linear", "cos_min_ratio", 0.2), 1.0);
        lr(shortTotal, 99, 0.99);
        lr(shortTotal, 100, 0.2);
        lr(shortTotal, 20000, 0.2);
        // warmup_num_steps 1 acts as 2 (log): ratio(1) = ln 2 / ln 2 = 1; total 12: p = (i - 1) / 10
        LrSchedule tiny = Schedules.create("WarmupCosineLR", params("total_num_steps", 12L,
                "warmup_num_steps", 1L, "cos_min_ratio", 0.0), 2.0);
        lr(tiny, -1, 0.0);
        lr(tiny, 0, 0.0);
        lr(tiny, 1, 2.0);
        lr(tiny, 2, 2.0 * cosine(0.0, 1.0 / 10));
        lr(tiny, 11, 0.0);                           // (1 + cos(pi)) / 2 = 0
        // a negative cos_min_ratio is floored at 0 by max(0, ...)
        LrSchedule negative = Schedules.create("WarmupCosineLR", params("total_num_steps", 12L,
                "warmup_num_steps", 2L, "cos_min_ratio", -0.5), 1.0);
        lr(negative, 11, 0.0);
        lr(negative, 2, Math.max(0, cosine(-0.5, 1.0 / 10)));
    }

    @Test
    void needsTheOptimizerLrAndTotalNumSteps() {
        assertThrows(IllegalArgumentException.class,
                () -> Schedules.create("WarmupCosineLR", params("total_num_steps", 10L), Double.NaN));
        ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupCosineLR", params(), 0.1));
        assertEquals("total_num_steps", e.key());
    }
}
