package io.ds4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DeepSpeed's {@code WarmupDecayLR}: {@code WarmupLR}'s warmup, then a linear decay that reaches 0 at
 * {@code total_num_steps} and stays there.
 *
 * <pre>
 * lr(-1) = warmup_min_lr
 * lr(i)  = warmup_min_lr + (warmup_max_lr - warmup_min_lr) * gamma(i)
 * gamma(i) = warmup fraction while i &lt; W = max(2, warmup_num_steps),
 *            else max(0, (total_num_steps - i) / max(1, total_num_steps - W))
 * </pre>
 * A {@code total_num_steps} below the warmup is allowed (DeepSpeed only warns).
 *
 * @param warmupMinLr   DeepSpeed's {@code warmup_min_lr} (default 0.0)
 * @param warmupMaxLr   DeepSpeed's {@code warmup_max_lr} (default 0.001; an explicit {@code null} means the
 *                      optimizer's lr)
 * @param warmup        {@code warmup_num_steps} (default 1000) and {@code warmup_type} (default {@code "log"})
 * @param totalNumSteps DeepSpeed's {@code total_num_steps} (required), &ge; 0
 */
public record WarmupDecayLr(double warmupMinLr, double warmupMaxLr, Warmup warmup, double totalNumSteps)
        implements LrSchedule {
    /** DeepSpeed's type name. */
    public static final String TYPE = "WarmupDecayLR";

    /** Validates the parameters. */
    public WarmupDecayLr {
        Checks.nonNegative("warmup_min_lr", warmupMinLr);
        Checks.nonNegative("warmup_max_lr", warmupMaxLr);
        Checks.present("warmup_num_steps", warmup);
        Checks.nonNegative("total_num_steps", totalNumSteps);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public double lr(long iteration) {
        LrSchedule.checkIteration(iteration);
        if (iteration < 0) {
            return warmupMinLr;
        }
        return warmupMinLr + (warmupMaxLr - warmupMinLr) * gamma(iteration);
    }

    private double gamma(long iteration) {
        if (warmup.covers(iteration)) {
            return warmup.fraction(iteration);
        }
        double decayLength = Math.max(1.0, totalNumSteps - warmup.effectiveSteps());
        return Math.max(0.0, (totalNumSteps - iteration) / decayLength);
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("total_num_steps", Schedules.integralOrDouble(totalNumSteps));
        p.putAll(WarmupLr.warmupParams(warmupMinLr, warmupMaxLr, warmup));
        return p;
    }
}
