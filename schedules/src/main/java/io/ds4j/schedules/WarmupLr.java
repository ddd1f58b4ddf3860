package io.ds4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DeepSpeed's {@code WarmupLR}: rises from {@code warmup_min_lr} to {@code warmup_max_lr} over the warmup, then
 * stays at {@code warmup_max_lr}.
 *
 * <pre>
 * lr(-1) = warmup_min_lr
 * lr(i)  = warmup_min_lr + (warmup_max_lr - warmup_min_lr) * gamma(i)
 * gamma(i) = warmup fraction (see {@link Warmup#fraction}) while i &lt; max(2, warmup_num_steps), else 1
 * </pre>
 *
 * @param warmupMinLr DeepSpeed's {@code warmup_min_lr} (default 0.0)
 * @param warmupMaxLr DeepSpeed's {@code warmup_max_lr} (default: the optimizer's lr)
 * @param warmup      {@code warmup_num_steps} (default 1000) and {@code warmup_type} (default {@code "log"})
 */
public record WarmupLr(double warmupMinLr, double warmupMaxLr, Warmup warmup) implements LrSchedule {
    /** DeepSpeed's type name. */
    public static final String TYPE = "WarmupLR";

    /** Validates the parameters. */
    public WarmupLr {
        Checks.nonNegative("warmup_min_lr", warmupMinLr);
        Checks.nonNegative("warmup_max_lr", warmupMaxLr);
        Checks.present("warmup_num_steps", warmup);
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
        double gamma = warmup.covers(iteration) ? warmup.fraction(iteration) : 1.0;
        return warmupMinLr + (warmupMaxLr - warmupMinLr) * gamma;
    }

    @Override
    public Map<String, Object> params() {
        return warmupParams(warmupMinLr, warmupMaxLr, warmup);
    }

    /** The four warmup keys, in DeepSpeed's order. */
    static Map<String, Object> warmupParams(double min, double max, Warmup warmup) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("warmup_min_lr", min);
        p.put("warmup_max_lr", max);
        p.put("warmup_num_steps", warmup.numSteps());
        p.put("warmup_type", warmup.type().jsonName());
        return p;
    }
}
