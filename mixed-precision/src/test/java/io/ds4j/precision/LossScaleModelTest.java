package io.ds4j.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Random overflow sequences against a second, mutable model of DeepSpeed's scaler kept in DeepSpeed's own terms
 * (an iteration counter and the iteration of the last overflow, instead of {@link LossScale}'s stable count).
 */
class LossScaleModelTest {

    /** DeepSpeed's dynamic scaler state, written from its description: cur_iter, last_overflow_iter, ... */
    private static final class Model {
        double scale;
        int hysteresis;
        long iter;
        long lastOverflow = -1;
        final int window;
        final int delayedShift;
        final boolean consecutive;
        final double min;

        Model(double scale, int window, int delayedShift, boolean consecutive, double min) {
            this.scale = scale;
            this.window = window;
            this.delayedShift = delayedShift;
            this.hysteresis = delayedShift;
            this.consecutive = consecutive;
            this.min = min;
        }

        /** Returns false where DeepSpeed raises (scale at the minimum and nothing left to absorb an overflow). */
        boolean update(boolean overflow) {
            if (overflow) {
                if (delayedShift == 1 || hysteresis == 1) {
                    if (scale == min) {
                        return false;
                    }
                    scale = Math.max(scale / 2, min);
                } else {
                    hysteresis--;
                }
                lastOverflow = iter;
            } else {
                if (consecutive) {
                    hysteresis = delayedShift;
                }
                long stable = iter - lastOverflow - 1;
                if (stable > 0 && stable % window == 0) {
                    if (!consecutive) {
                        hysteresis = delayedShift;
                    }
                    scale *= 2;
                }
            }
            iter++;
            return true;
        }
    }

    @Property(tries = 400)
    void followsDeepSpeedsScaler(@ForAll @Size(max = 200) List<@IntRange(max = 9) Integer> draws,
                                 @ForAll @IntRange(min = 0, max = 20) int power,
                                 @ForAll @IntRange(min = 1, max = 6) int window,
                                 @ForAll @IntRange(min = 1, max = 4) int hysteresis,
                                 @ForAll boolean consecutive,
                                 @ForAll @IntRange(min = 1, max = 8) int min) {
        Fp16Config cfg = new Fp16Config(true, false, 0, power, window, hysteresis, consecutive, min, false);
        LossScale s = LossScale.of(cfg);
        Model m = new Model(Math.scalb(1.0, power), window, hysteresis, consecutive, min);
        for (int i = 0; i < draws.size(); i++) {
            boolean overflow = draws.get(i) < 3; // about 30% of the steps overflow
            assertEquals(m.scale, s.value(), "scale before step " + i);
            assertEquals(m.hysteresis, s.hysteresisLeft(), "hysteresis before step " + i);
            assertEquals(m.iter - m.lastOverflow - 1, s.stableSteps(), "stable count before step " + i);
            if (!m.update(overflow)) {
                LossScale last = s;
                assertThrows(LossScaleException.class, () -> last.afterStep(true));
                return;
            }
            s = s.afterStep(overflow);
        }
    }
}
