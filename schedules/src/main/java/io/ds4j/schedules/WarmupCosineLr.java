package io.ds4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DeepSpeed's {@code WarmupCosineLR}: a ratio of the optimizer's lr that rises from {@code warmup_min_ratio} to 1
 * over the warmup, then follows half a cosine down to {@code cos_min_ratio} at {@code total_num_steps} and stays
 * there.
 *
 * <pre>
 * lr(-1) = 0            (DeepSpeed writes 0 before the first step: the first update uses lr 0)
 * lr(i)  = optimizer_lr * ratio(i)
 * ratio(i) = warmup_min_ratio + (1 - warmup_min_ratio) * fraction(i)      while i &lt; W = max(2, warmup_num_steps)
 *          = max(0, cos_min_ratio + (1 - cos_min_ratio) * (1 + cos(pi * p)) / 2)   after, with
 *            p = min(1, (i - W + 1) / max(1, total_num_steps - W))
 * </pre>
 *
 * @param optimizerLr    the optimizer's lr the ratios scale (DeepSpeed reads it from the optimizer)
 * @param warmupMinRatio DeepSpeed's {@code warmup_min_ratio} (default 0.0)
 * @param warmup         {@code warmup_num_steps} (default 1000) and {@code warmup_type} (default {@code "log"})
 * @param cosMinRatio    DeepSpeed's {@code cos_min_ratio} (default 0.0001)
 * @param totalNumSteps  DeepSpeed's {@code total_num_steps} (required), &ge; 0
 */
public record WarmupCosineLr(double optimizerLr, double warmupMinRatio, Warmup warmup, double cosMinRatio,
                             double totalNumSteps) implements LrSchedule {
    /** DeepSpeed's type name. */
    public static final String TYPE = "WarmupCosineLR";

    /** Validates the parameters. */
    public WarmupCosineLr {
        Checks.nonNegative("optimizer lr", optimizerLr);
        Checks.finite("warmup_min_ratio", warmupMinRatio);
        Checks.present("warmup_num_steps", warmup);
        Checks.finite("cos_min_ratio", cosMinRatio);
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
            return 0.0;
        }
        return optimizerLr * ratio(iteration);
    }

    /** The ratio of the optimizer's lr at {@code iteration} &ge; 0. */
    public double ratio(long iteration) {
        if (warmup.covers(iteration)) {
            return warmupMinRatio + warmup.fraction(iteration) * (1.0 - warmupMinRatio);
        }
        long w = warmup.effectiveSteps();
        double progress = Math.min(1.0, (iteration - w + 1) / Math.max(1.0, totalNumSteps - w));
        double cosine = (1 + Math.cos(Math.PI * progress)) / 2;
        return Math.max(0.0, cosMinRatio + (1.0 - cosMinRatio) * cosine);
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("total_num_steps", Schedules.integralOrDouble(totalNumSteps));
        p.put("warmup_min_ratio", warmupMinRatio);
        p.put("warmup_num_steps", warmup.numSteps());
        p.put("cos_min_ratio", cosMinRatio);
        p.put("warmup_type", warmup.type().jsonName());
        return p;
    }
}
