package io.ds4j.schedules;

/**
 * The warmup phase shared by {@code WarmupLR}, {@code WarmupDecayLR} and {@code WarmupCosineLR}.
 *
 * @param numSteps DeepSpeed's {@code warmup_num_steps} as configured: any integer. Values below 2 (0 and negatives
 *                 included) behave as 2, exactly as in DeepSpeed, which uses {@code max(2, warmup_num_steps)} so
 *                 that {@code ln(warmup steps)} is never 0 and checks nothing else.
 * @param type     DeepSpeed's {@code warmup_type}
 */
public record Warmup(long numSteps, WarmupType type) implements java.io.Serializable {
    /** DeepSpeed's default {@code warmup_num_steps}. */
    public static final long DEFAULT_NUM_STEPS = 1000;

    /** Validates the parameters. */
    public Warmup {
        if (type == null) {
            throw new ScheduleConfigException("warmup_type", "must be \"log\" or \"linear\", got null");
        }
    }

    /** The number of warmup iterations DeepSpeed actually uses: {@code max(2, warmup_num_steps)}. */
    public long effectiveSteps() {
        return Math.max(2, numSteps);
    }

    /** Whether {@code iteration} (&ge; 0) still lies in the warmup phase. */
    public boolean covers(long iteration) {
        return iteration < effectiveSteps();
    }

    /**
     * The warmup fraction (DeepSpeed's gamma) at {@code iteration}, for {@code 0 <= iteration < effectiveSteps()}:
     * 0 at iteration 0, approaching 1 at the end of warmup.
     */
    public double fraction(long iteration) {
        long w = effectiveSteps();
        if (type == WarmupType.LOG) {
            return (1.0 / Math.log(w)) * Math.log(iteration + 1.0);
        }
        return (double) iteration / (double) w;
    }
}
