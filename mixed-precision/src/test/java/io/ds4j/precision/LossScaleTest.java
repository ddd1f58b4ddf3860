package io.ds4j.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Loss-scale trajectories worked out by hand from DeepSpeed 0.19's {@code DynamicLossScaler.update_scale}.
 * Notation: "good" = a step without overflow, "OF" = an overflowing step; the stable count is DeepSpeed's
 * {@code cur_iter - last_overflow_iter - 1} with {@code last_overflow_iter} starting at -1; the scale doubles after a
 * good step that sees a stable count that is a positive multiple of the window. Arrays hold the scale (or the
 * hysteresis) in force for each step, then the state after the last step.
 */
class LossScaleTest {

    private static final boolean T = true;
    private static final boolean F = false;

    /** fp16 enabled, dynamic, with 2^power as first scale. */
    private static Fp16Config dynamic(int power, int window, int hysteresis, boolean consecutive, double min) {
        return new Fp16Config(true, false, 0, power, window, hysteresis, consecutive, min, false);
    }

    /** Runs the flags, collecting the scale and the hysteresis before each step and after the last one. */
    private static double[][] run(LossScale start, boolean... overflows) {
        double[] scales = new double[overflows.length + 1];
        double[] hysteresis = new double[overflows.length + 1];
        LossScale s = start;
        for (int i = 0; i < overflows.length; i++) {
            scales[i] = s.value();
            hysteresis[i] = s.hysteresisLeft();
            s = s.afterStep(overflows[i]);
            assertEquals(overflows[i], s.skipped(), "skipped flag after step " + i);
        }
        scales[overflows.length] = s.value();
        hysteresis[overflows.length] = s.hysteresisLeft();
        return new double[][] {scales, hysteresis};
    }

    @Test
    void deepSpeedDefaults() {
        LossScale s = LossScale.of(Fp16Config.enabled(true));
        assertInstanceOf(DynamicLossScale.class, s);
        assertEquals(65536.0, s.value()); // 2^initial_scale_power, power 16
        assertEquals(2, s.hysteresisLeft());
        assertEquals(0, s.stableSteps());
        assertFalse(s.skipped());
        assertEquals(1f / 65536, s.unscaleMultiplier());
    }

    @Test
    void hysteresisOneWithWindowTwo() {
        // start 8, window 2, hysteresis 1. good(stable 0) good(1) good(2: doubles -> 16) OF(16 -> 8)
        // good(0) good(1) good(2 -> 16) OF(-> 8) OF(-> 4) OF(-> 2) OF(-> 1, the floor) then OF at 1 == min throws
        LossScale s = LossScale.of(dynamic(3, 2, 1, false, 1));
        double[][] r = run(s, F, F, F, T, F, F, F, T, T, T, T);
        assertArrayEquals(new double[] {8, 8, 8, 16, 8, 8, 8, 16, 8, 4, 2, 1}, r[0], 0.0);
        LossScale atMin = s;
        for (boolean b : new boolean[] {F, F, F, T, F, F, F, T, T, T, T}) {
            atMin = atMin.afterStep(b);
        }
        LossScale last = atMin;
        LossScaleException e = assertThrows(LossScaleException.class, () -> last.afterStep(true));
        assertEquals(1.0, e.scale());
        assertEquals(1.0, e.minLossScale());
        assertTrue(e.getMessage().contains("fp16.min_loss_scale=1") && e.getMessage().contains("bf16"),
                e.getMessage());
        assertEquals(1.0, last.afterStep(false).value()); // a good step at the floor is fine
    }

    @Test
    void hysteresisTwoNotConsecutive() {
        // start 16, window 3, hysteresis 2, not consecutive.
        // OF: hysteresis 2 -> 1, scale kept 16. good: no refill (not consecutive), stable 0 -> 1.
        // OF: hysteresis 1 -> halve to 8 (hysteresis stays 1). OF: -> 4. good, good, good (stable 0, 1, 2).
        // good: stable 3 = window -> doubles to 8 and refills hysteresis to 2. OF: 2 -> 1 at 8. OF: -> 4.
        double[][] r = run(LossScale.of(dynamic(4, 3, 2, false, 1)), T, F, T, T, F, F, F, F, T, T);
        assertArrayEquals(new double[] {16, 16, 16, 8, 4, 4, 4, 4, 8, 8, 4}, r[0], 0.0);
        assertArrayEquals(new double[] {2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1}, r[1], 0.0);
    }

    @Test
    void hysteresisTwoConsecutiveRefillsAfterEveryGoodStep() {
        // consecutive: OF (2 -> 1), good refills to 2, OF (2 -> 1), OF (halve 16 -> 8), OF (-> 4), good refills.
        double[][] r = run(LossScale.of(dynamic(4, 3, 2, true, 1)), T, F, T, T, T, F);
        assertArrayEquals(new double[] {16, 16, 16, 16, 8, 4, 4}, r[0], 0.0);
        assertArrayEquals(new double[] {2, 1, 2, 1, 1, 1, 2}, r[1], 0.0);
        // the same flags without consecutive hysteresis: the good step does not refill, so every later OF halves
        double[][] n = run(LossScale.of(dynamic(4, 3, 2, false, 1)), T, F, T, T, T, F);
        assertArrayEquals(new double[] {16, 16, 16, 8, 4, 2, 2}, n[0], 0.0);
        assertArrayEquals(new double[] {2, 1, 1, 1, 1, 1, 1}, n[1], 0.0);
    }

    @Test
    void windowGrowthCountsStableSteps() {
        // start 1, window 4, no overflow: steps 0..3 see stable 0..3; step 4 sees 4 -> x2, step 8 sees 8 -> x2 ...
        boolean[] good = new boolean[13];
        double[][] r = run(LossScale.of(dynamic(0, 4, 2, false, 1)), good);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 8}, r[0], 0.0);
        // after an overflow at step 2 the count restarts: steps 3..6 see 0..3, step 7 sees 4 -> x2 (hysteresis 1)
        double[][] o = run(LossScale.of(dynamic(5, 4, 1, false, 1)), F, F, T, F, F, F, F, F, F);
        assertArrayEquals(new double[] {32, 32, 32, 16, 16, 16, 16, 16, 32, 32}, o[0], 0.0);
        LossScale s = LossScale.of(dynamic(5, 4, 1, false, 1)).afterStep(F).afterStep(F).afterStep(T);
        assertEquals(0, s.stableSteps());
        assertEquals(3, s.afterStep(F).afterStep(F).afterStep(F).stableSteps());
    }

    @Test
    void floorAboveHalfTheScaleAndHysteresisAtTheFloor() {
        // start 4, min 3: OF -> max(4 / 2, 3) = 3; OF at 3 == min with no hysteresis left throws
        LossScale s = LossScale.of(dynamic(2, 1000, 1, false, 3)).afterStep(true);
        assertEquals(3.0, s.value());
        LossScaleException e = assertThrows(LossScaleException.class, () -> s.afterStep(true));
        assertTrue(e.getMessage().contains("fp16.min_loss_scale=3"), e.getMessage());
        // start 1 = min, hysteresis 2: OF only consumes hysteresis; good (not consecutive) keeps 1; OF throws
        LossScale h = LossScale.of(dynamic(0, 1000, 2, false, 1)).afterStep(true).afterStep(false);
        assertEquals(1, h.hysteresisLeft());
        assertThrows(LossScaleException.class, () -> h.afterStep(true));
    }

    @Test
    void staticScaleNeverChanges() {
        Fp16Config cfg = new Fp16Config(true, false, 128, 16, 2, 1, false, 1, false);
        LossScale s = LossScale.of(cfg);
        assertInstanceOf(StaticLossScale.class, s);
        for (int i = 0; i < 50; i++) {
            boolean overflow = i % 3 != 0;
            s = s.afterStep(overflow);
            assertEquals(128.0, s.value());
            assertEquals(overflow, s.skipped());
        }
        assertEquals("[ds4j] OVERFLOW! Rank 1 Skipping step. Attempted loss scale: 128 (static fp16.loss_scale, kept)",
                s.overflowMessage(1, s.afterStep(true)));
    }

    @Test
    void disabledFp16MeansScaleOne() {
        LossScale s = LossScale.of(Fp16Config.defaults());
        assertInstanceOf(NoLossScale.class, s);
        LossScale next = s.afterStep(true).afterStep(true).afterStep(false);
        assertEquals(1.0, next.value());
        assertEquals(1, next.stableSteps());
        assertEquals("[ds4j] OVERFLOW! Rank 0 Skipping step.", s.overflowMessage(0, s.afterStep(true)));
    }

    @Test
    void overflowMessagesReadLikeDeepSpeeds() {
        LossScale s = LossScale.of(Fp16Config.enabled(true)); // 65536, hysteresis 2
        LossScale h = s.afterStep(true);
        assertEquals("[ds4j] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 65536, but hysteresis is 2. "
                + "Reducing hysteresis to 1", s.overflowMessage(0, h));
        LossScale halved = h.afterStep(true);
        assertEquals("[ds4j] OVERFLOW! Rank 3 Skipping step. Attempted loss scale: 65536, reducing to 32768",
                h.overflowMessage(3, halved));
        LossScale small = LossScale.of(dynamic(0, 10, 1, false, 0.25)).afterStep(true);
        assertEquals("[ds4j] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 0.5, reducing to 0.25",
                small.overflowMessage(0, small.afterStep(true)));
    }

    @Test
    void statesAreImmutableValues() {
        LossScale s = LossScale.of(dynamic(4, 3, 2, false, 1));
        LossScale a = s.afterStep(true);
        assertEquals(16.0, s.value());
        assertEquals(2, s.hysteresisLeft());
        assertEquals(a, s.afterStep(true)); // same input, equal value
        assertThrows(IllegalArgumentException.class,
                () -> new DynamicLossScale(new DynamicLossScaleRules(3, 2, false, 1), 8, 3, 0, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DynamicLossScaleRules(0, 2, false, 1));
        assertTrue(e.getMessage().contains("fp16.loss_scale_window") && e.getMessage().contains("got 0"));
    }
}
