package io.ds4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DeepSpeed's {@code LRRangeTest}: grows the lr linearly from {@code lr_range_test_min_lr}, continuously or in
 * stairs of {@code lr_range_test_step_size} iterations.
 *
 * <pre>
 * lr(i) = lr_range_test_min_lr * (1 + lr_range_test_step_rate * interval(i))
 * interval(i) = (i + 1) / lr_range_test_step_size           (continuous)
 *             = floor((i + 1) / lr_range_test_step_size)    (lr_range_test_staircase = true)
 * </pre>
 * so {@code lr(-1) = lr_range_test_min_lr}.
 *
 * @param minLr     DeepSpeed's {@code lr_range_test_min_lr} (default 0.001)
 * @param stepSize  DeepSpeed's {@code lr_range_test_step_size} (default 2000), an integer &ge; 1
 * @param stepRate  DeepSpeed's {@code lr_range_test_step_rate} (default 1.0)
 * @param staircase DeepSpeed's {@code lr_range_test_staircase} (default false)
 */
public record LrRangeTest(double minLr, long stepSize, double stepRate, boolean staircase) implements LrSchedule {
    /** DeepSpeed's type name. */
    public static final String TYPE = "LRRangeTest";

    /** Validates the parameters. */
    public LrRangeTest {
        Checks.nonNegative("lr_range_test_min_lr", minLr);
        if (stepSize <= 0) {
            throw new ScheduleConfigException("lr_range_test_step_size",
                    "must be a positive integer, got " + stepSize + "; use 1 or more iterations per lr change");
        }
        Checks.finite("lr_range_test_step_rate", stepRate);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public double lr(long iteration) {
        LrSchedule.checkIteration(iteration);
        double interval = (double) (iteration + 1) / (double) stepSize;
        if (staircase) {
            interval = Math.floor(interval);
        }
        return minLr * (1 + stepRate * interval);
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("lr_range_test_min_lr", minLr);
        p.put("lr_range_test_step_size", stepSize);
        p.put("lr_range_test_step_rate", stepRate);
        p.put("lr_range_test_staircase", staircase);
        return p;
    }
}
