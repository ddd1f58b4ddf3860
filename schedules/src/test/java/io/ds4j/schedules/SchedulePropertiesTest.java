package io.ds4j.schedules;

import static io.ds4j.schedules.Golden.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Invariants that hold for any valid parameters. */
class SchedulePropertiesTest {
    @Property(tries = 200)
    void warmupLrRisesMonotonicallyFromMinToMax(@ForAll @DoubleRange(min = 0, max = 1) double min,
                                               @ForAll @DoubleRange(min = 0, max = 1) double extra,
                                               @ForAll @LongRange(min = 1, max = 500) long warmup,
                                               @ForAll boolean linear) {
        double max = min + extra;
        LrSchedule s = Schedules.create("WarmupLR", params("warmup_min_lr", min, "warmup_max_lr", max,
                "warmup_num_steps", warmup, "warmup_type", linear ? "linear" : "log"), 0);
        double previous = s.lr(-1);
        assertEquals(min, previous);
        for (long i = 0; i <= warmup + 3; i++) {
            double lr = s.lr(i);
            assertTrue(lr >= previous - 1e-15 && lr >= min - 1e-15 && lr <= max + 1e-15, "lr(" + i + ") = " + lr);
            previous = lr;
        }
        assertEquals(max, s.lr(Math.max(2, warmup)));
    }

    @Property(tries = 200)
    void warmupDecayAndCosineStayWithinTheirBounds(@ForAll @LongRange(min = 1, max = 300) long warmup,
                                                  @ForAll @LongRange(min = 0, max = 600) long total,
                                                  @ForAll @DoubleRange(min = 0, max = 1) double floor) {
        LrSchedule decay = Schedules.create("WarmupDecayLR", params("warmup_max_lr", 1.0,
                "warmup_num_steps", warmup, "total_num_steps", total), 0);
        LrSchedule cosine = Schedules.create("WarmupCosineLR", params("warmup_num_steps", warmup,
                "total_num_steps", total, "cos_min_ratio", floor), 2.0);
        for (long i = -1; i <= total + warmup + 5; i++) {
            assertTrue(decay.lr(i) >= 0 && decay.lr(i) <= 1.0, "decay lr(" + i + ")");
            assertTrue(cosine.lr(i) >= 0 && cosine.lr(i) <= 2.0 + 1e-15, "cosine lr(" + i + ")");
        }
        assertEquals(0.0, decay.lr(Math.max(total, Math.max(2, warmup)) + 1));
        assertEquals(2.0 * floor, cosine.lr(Math.max(total, Math.max(2, warmup)) + 1), 1e-15);
    }

    @Property(tries = 200)
    void oneCycleStaysBetweenItsBoundsAndStairsTakeFewLevels(@ForAll @IntRange(min = 1, max = 60) int first,
                                                             @ForAll @IntRange(min = 0, max = 60) int second,
                                                             @ForAll @IntRange(min = 0, max = 6) int stairs) {
        LrSchedule s = Schedules.create("OneCycle", params("cycle_min_lr", 0.5, "cycle_max_lr", 1.5,
                "cycle_first_step_size", (long) first, "cycle_second_step_size", (long) second,
                "cycle_first_stair_count", (long) stairs), 0);
        java.util.Set<Double> levels = new java.util.HashSet<>();
        for (long i = -1; i < first + second + 3; i++) {
            double lr = s.lr(i);
            double mom = s.momentum(i);
            assertTrue(lr >= 0.5 - 1e-12 && lr <= 1.5 + 1e-12, "lr(" + i + ") = " + lr);
            assertTrue(mom >= 0.8 - 1e-12 && mom <= 0.9 + 1e-12, "momentum(" + i + ") = " + mom);
            levels.add(lr);
        }
        if (stairs > 0) {
            assertTrue(levels.size() <= 2 * stairs + 1, "levels " + levels);
        }
    }

    @Property(tries = 100)
    void theNd4jScheduleIsShiftedByOne(@ForAll @IntRange(min = 0, max = 5000) int dl4jIteration,
                                       @ForAll @IntRange(min = 0, max = 7) int epoch) {
        LrSchedule s = Schedules.create("LRRangeTest", params("lr_range_test_step_size", 7L), 0);
        assertEquals(s.lr(dl4jIteration - 1L), s.toLrSchedule().valueAt(dl4jIteration, epoch));
    }
}
