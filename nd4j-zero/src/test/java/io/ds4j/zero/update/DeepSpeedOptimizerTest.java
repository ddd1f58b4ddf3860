package io.ds4j.zero.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.kernels.FusedSgd;
import io.ds4j.zero.kernels.StepArgs;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;

class DeepSpeedOptimizerTest {

    private static final FusedSgd SGD = new FusedSgd(0f, 0f, false, 0f);

    /** A schedule of DL4J's iteration: 0.5 at iteration 0, one tenth less per iteration. */
    private static final class Linear implements ISchedule {
        @Override
        public double valueAt(int iteration, int epoch) {
            return 0.5 - 0.1 * iteration;
        }

        @Override
        public ISchedule clone() {
            return this;
        }
    }

    @Test
    void constantRateWithoutSchedule() {
        DeepSpeedOptimizer o = new DeepSpeedOptimizer(SGD, 0.01, null);
        assertEquals(0.01, o.rate(0));
        assertEquals(0.01, o.rate(1000));
    }

    @Test
    void scheduleGivesTheRateOfEachIteration() {
        DeepSpeedOptimizer o = new DeepSpeedOptimizer(SGD, 0.01, new Linear());
        assertEquals(0.5, o.rate(0), 1e-15);
        assertEquals(0.2, o.rate(3), 1e-15);
    }

    @Test
    void argsCarryDeepSpeedsStepTheRateAndTheMultiplier() {
        StepArgs a = new DeepSpeedOptimizer(SGD, 0.25, null).args(4, 0.5);
        assertEquals(5L, a.step());
        assertEquals(0.25f, a.lr());
        assertEquals(0.5f, a.gradMultiplier());
    }

    @Test
    void refusesANegativeRateNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DeepSpeedOptimizer(SGD, -1, null));
        assertTrue(e.getMessage().startsWith("optimizer.params.lr: -1.0"), e.getMessage());
    }
}
