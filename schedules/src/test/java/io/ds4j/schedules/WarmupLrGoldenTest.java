package io.ds4j.schedules;

import static io.ds4j.schedules.Golden.lr;
import static io.ds4j.schedules.Golden.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * WarmupLR and WarmupDecayLR against values worked out by hand from DeepSpeed 0.19's formulas
 * (lr = min + (max - min) * gamma; gamma = ln(i+1)/ln(W) or i/W during warmup, W = max(2, warmup_num_steps)).
 */
class WarmupLrGoldenTest {
    private static final double LN1000 = Math.log(1000);

    @Test
    void warmupLrDefaultsInheritTheOptimizerLrAndWarmLogarithmicallyOver1000Steps() {
        // defaults: min 0, max = optimizer lr (0.01), W 1000, log
        LrSchedule s = Schedules.create("WarmupLR", params(), 0.01);
        lr(s, -1, 0.0);                                    // before the first step: warmup_min_lr
        lr(s, 0, 0.0);                                     // ln(1) = 0
        lr(s, 1, 0.01 * Math.log(2) / LN1000);
        lr(s, 2, 0.01 * Math.log(3) / LN1000);
        lr(s, 998, 0.01 * Math.log(999) / LN1000);
        lr(s, 999, 0.01);                                  // ln(1000)/ln(1000) = 1
        lr(s, 1000, 0.01);                                 // after warmup: gamma 1
        lr(s, 1001, 0.01);
        lr(s, 20000, 0.01);
    }

    @Test
    void warmupLrLinear() {
        // min 0.001, max 0.1, W 10: lr = 0.001 + 0.099 * i / 10 for i < 10, then 0.1
        LrSchedule s = Schedules.create("WarmupLR", params("warmup_min_lr", 0.001, "warmup_max_lr", 0.1,
                "warmup_num_steps", 10L, "warmup_type", "linear"), 99.0);
        lr(s, -1, 0.001);
        lr(s, 0, 0.001);
        lr(s, 1, 0.001 + 0.099 * 0.1);
        lr(s, 2, 0.001 + 0.099 * 0.2);
        lr(s, 9, 0.001 + 0.099 * 0.9);
        lr(s, 10, 0.1);
        lr(s, 11, 0.1);
        lr(s, 20000, 0.1);
    }

    @Test
    void warmupNumStepsBelowTwoActAsTwoLikeDeepSpeed() {
        // DeepSpeed's schedules take max(2, warmup_num_steps) and check nothing else, so 0 (Hugging Face's default
        // warmup_steps, which "auto" becomes there) and negatives mean the shortest warmup, not an error
        for (long w : new long[] {-3, 0, 1, 2}) {
            // log: W = 2, gamma(0) = 0, gamma(1) = ln 2 / ln 2 = 1
            LrSchedule log = Schedules.create("WarmupLR", params("warmup_max_lr", 0.4, "warmup_num_steps", w), 1);
            lr(log, -1, 0.0);
            lr(log, 0, 0.0);
            lr(log, 1, 0.4);
            lr(log, 2, 0.4);
            // linear: W = 2, gamma(1) = 1/2 (DeepSpeed really gives half the max at iteration 1)
            LrSchedule lin = Schedules.create("WarmupLR",
                    params("warmup_max_lr", 0.4, "warmup_num_steps", w, "warmup_type", "linear"), 1);
            lr(lin, 0, 0.0);
            lr(lin, 1, 0.2);
            lr(lin, 2, 0.4);
            lr(lin, 20000, 0.4);
        }
    }

    @Test
    void warmupNumStepsThatIsNotAnIntegerIsRejectedByName() {
        // DeepSpeed would compare iterations with 2.5 and crash on "10"; ds4j names the key instead
        for (Object bad : new Object[] {2.5, true, "10"}) {
            ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                    () -> Schedules.create("WarmupLR", params("warmup_num_steps", bad), 0.1));
            assertEquals("warmup_num_steps", e.key());
        }
    }

    @Test
    void warmupDecayLrDefaultMaxIsItsOwn0001NotTheOptimizerLr() {
        // WarmupDecayLR's signature defaults warmup_max_lr to 0.001; total 5000, W 1000 log
        LrSchedule s = Schedules.create("WarmupDecayLR", params("total_num_steps", 5000L), 0.5);
        lr(s, -1, 0.0);
        lr(s, 0, 0.0);
        lr(s, 1, 0.001 * Math.log(2) / LN1000);
        lr(s, 500, 0.001 * Math.log(501) / LN1000);
        lr(s, 999, 0.001);
        lr(s, 1000, 0.001 * (5000.0 - 1000) / (5000 - 1000));   // decay starts at gamma 1
        lr(s, 1001, 0.001 * (5000.0 - 1001) / 4000);
        lr(s, 4999, 0.001 * 1.0 / 4000);
        lr(s, 5000, 0.0);
        lr(s, 5001, 0.0);                                       // max(0, negative) = 0
        lr(s, 20000, 0.0);
    }

    @Test
    void warmupDecayLrLinearWithMinLrAndExplicitNullMaxInheritsTheOptimizerLr() {
        // min 0.001, max = optimizer lr 0.01 (explicit null), W 100 linear, total 1000
        LrSchedule s = Schedules.create("WarmupDecayLR", params("warmup_min_lr", 0.001, "warmup_max_lr", null,
                "warmup_num_steps", 100L, "warmup_type", "linear", "total_num_steps", 1000L), 0.01);
        double delta = 0.01 - 0.001;
        lr(s, -1, 0.001);
        lr(s, 0, 0.001);
        lr(s, 1, 0.001 + delta * 1 / 100);
        lr(s, 2, 0.001 + delta * 2 / 100);
        lr(s, 99, 0.001 + delta * 99 / 100);
        lr(s, 100, 0.01);                                     // (1000 - 100) / 900 = 1
        lr(s, 101, 0.001 + delta * 899 / 900);
        lr(s, 999, 0.001 + delta * 1 / 900);
        lr(s, 1000, 0.001);                                   // gamma 0: back at warmup_min_lr
        lr(s, 1001, 0.001);
        lr(s, 20000, 0.001);
    }

    @Test
    void warmupDecayLrEdgeCases() {
        // total below the warmup (DeepSpeed only warns): after warmup gamma = max(0, (50 - i) / max(1, -50))
        LrSchedule shortTotal = Schedules.create("WarmupDecayLR", params("warmup_max_lr", 1.0,
                "warmup_num_steps", 100L, "warmup_type", "linear", "total_num_steps", 50L), 0);
        lr(shortTotal, 50, 0.5);                  // still warming: 50/100
        lr(shortTotal, 99, 0.99);
        lr(shortTotal, 100, 0.0);                 // max(0, -50 / 1)
        // warmup_num_steps 1 acts as 2; total 10: decay gamma = (10 - i) / 8
        LrSchedule tiny = Schedules.create("WarmupDecayLR", params("warmup_max_lr", 1.0,
                "warmup_num_steps", 1L, "warmup_type", "linear", "total_num_steps", 10L), 0);
        lr(tiny, 0, 0.0);
        lr(tiny, 1, 0.5);
        lr(tiny, 2, 1.0);
        lr(tiny, 3, 7.0 / 8);
        lr(tiny, 9, 1.0 / 8);
        lr(tiny, 10, 0.0);
        // total == warmup: no decay window, the lr drops to min right after warmup: (100 - 100) / max(1, 0) = 0
        LrSchedule equal = Schedules.create("WarmupDecayLR", params("warmup_max_lr", 1.0,
                "warmup_num_steps", 100L, "total_num_steps", 100L), 0);
        lr(equal, 99, 1.0);
        lr(equal, 100, 0.0);
    }

    @Test
    void warmupDecayLrNeedsTotalNumSteps() {
        ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupDecayLR", params(), 0.1));
        assertEquals("total_num_steps", e.key());
    }
}
