package io.ds4j.zero.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** DeepSpeed's unscale-and-clip factor, derived by hand. */
class StepArgsTest {
    @Test
    void combinedScaleAsDeepSpeed() {
        // loss scale 1024, scaled norm 5120 (true norm 5), clip 1: clip = (5 + 1e-6) / 1, combined = 5.000001 * 1024
        assertEquals((float) (1 / (5.000001 * 1024)), StepArgs.unscaleAndClip(1024, 5120, 1), 0f);
        // true norm 5 below clip 10: clip factor (5 + 1e-6) / 10 < 1 is raised to 1, combined = 1024
        assertEquals(1f / 1024, StepArgs.unscaleAndClip(1024, 5120, 10), 0f);
        // no clipping
        assertEquals(1f / 8, StepArgs.unscaleAndClip(8, 1e9, 0), 0f);
    }

    @Test
    void validation() {
        assertThrows(IllegalArgumentException.class, () -> new StepArgs(0, 1f, 1f));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StepArgs(1, 1f, Float.POSITIVE_INFINITY));
        assertEquals("gradient multiplier must be finite, got Infinity (an overflowing step must be skipped before"
                + " the optimizer runs)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StepArgs.unscaleAndClip(0, 1, 1));
    }
}
