package io.ds4j.schedules;

/**
 * The shape of {@link OneCycle}'s cycle: how long each half lasts and whether it moves in stairs.
 *
 * @param firstStepSize   DeepSpeed's {@code cycle_first_step_size}: iterations of the rising half (default 2000),
 *                        &gt; 0
 * @param secondStepSize  DeepSpeed's {@code cycle_second_step_size}: iterations of the falling half (default: the
 *                        first), &ge; 0
 * @param firstStairCount DeepSpeed's {@code cycle_first_stair_count}: stairs in the rising half; 0 or less means a
 *                        continuous ramp (default 0)
 * @param secondStairCount DeepSpeed's {@code cycle_second_stair_count}: stairs in the falling half (default: the
 *                        first stair count)
 */
public record CycleShape(double firstStepSize, double secondStepSize, long firstStairCount, long secondStairCount)
        implements java.io.Serializable {
    /** Validates the parameters as DeepSpeed does. */
    public CycleShape {
        Checks.positive("cycle_first_step_size", firstStepSize);
        Checks.nonNegative("cycle_second_step_size", secondStepSize);
    }

    /** Iterations in the whole cycle: {@code first + second}. */
    public double totalSize() {
        return firstStepSize + secondStepSize;
    }

    /** The position in the cycle at DeepSpeed iteration {@code iteration} (&ge; 0), 0 at the ends, 1 at the peak. */
    double scaleFactor(long iteration) {
        double total = totalSize();
        double ratio = firstStepSize / total;
        double b = iteration + 1;
        double cycle = Math.floor(1 + b / total);
        double x = 1. + b / total - cycle;
        double scale;
        long stairs;
        if (x <= ratio) {
            scale = x / ratio;
            stairs = firstStairCount;
        } else {
            scale = (x - 1) / (ratio - 1);
            stairs = secondStairCount;
        }
        if (stairs > 0) {
            double inCycle = b % total;
            double position = inCycle <= firstStepSize
                    ? inCycle * stairs / firstStepSize
                    : (total - inCycle) * stairs / secondStepSize;
            scale = Math.floor(position) / stairs;
        }
        return scale;
    }
}
