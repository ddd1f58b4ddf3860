package io.ds4j.schedules;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DeepSpeed's {@code OneCycle}: one triangular cycle of the lr from {@code cycle_min_lr} up to {@code cycle_max_lr}
 * and back (the momentum moves the opposite way, from {@code cycle_max_mom} down to {@code cycle_min_mom} and
 * back), then a decay phase.
 *
 * <p>Cycle phase, {@code i < T = cycle_first_step_size + cycle_second_step_size}, with {@code b = i + 1}:
 * <pre>
 * x = 1 + b/T - floor(1 + b/T);  r = cycle_first_step_size / T
 * s = x / r  if x &lt;= r (rising half),  else (x - 1) / (r - 1) (falling half)
 * with a stair count n &gt; 0 for that half: s = floor(position) / n, position = c*n/first (c = b mod T &lt;= first)
 *                                                           or (T - c)*n/second
 * lr = cycle_min_lr + (cycle_max_lr - cycle_min_lr) * s
 * momentum = cycle_max_mom - (cycle_max_mom - cycle_min_mom) * s
 * </pre>
 * Decay phase, {@code i >= T}, with {@code d = (i - T + 1) / decay_step_size}:
 * {@code lr = cycle_min_lr / (1 + decay_lr_rate * d)} and {@code momentum = cycle_max_mom * (1 + decay_mom_rate * d)};
 * without decay ({@code decay_step_size = 0}, or that rate 0) the lr stays at {@code cycle_min_lr} and the momentum
 * at {@code cycle_max_mom}. Before the first step ({@code i = -1}) DeepSpeed writes {@code cycle_min_lr} and
 * {@code cycle_min_mom}.
 *
 * <p>DeepSpeed writes the momentum into the optimizer's {@code betas} as {@code (momentum, 0.99)}: with
 * {@code cycle_momentum} it also replaces Adam's beta2 by {@link #MOMENTUM_BETA2}. DeepSpeed turns
 * {@code cycle_momentum} off (with a warning) for optimizers that have no {@code betas}.
 *
 * @param shape         the cycle's step sizes and stair counts
 * @param decayStepSize DeepSpeed's {@code decay_step_size} (default 0: no decay), &ge; 0
 * @param lr            {@code cycle_min_lr} and {@code cycle_max_lr} (both required) and {@code decay_lr_rate}
 *                      (default 0)
 * @param cycleMomentum DeepSpeed's {@code cycle_momentum} (default true)
 * @param momentum      {@code cycle_min_mom} (default 0.8), {@code cycle_max_mom} (default 0.9) and
 *                      {@code decay_mom_rate} (default 0)
 */
public record OneCycle(CycleShape shape, double decayStepSize, Bounds lr, boolean cycleMomentum, Bounds momentum)
        implements LrSchedule {
    /** DeepSpeed's type name. */
    public static final String TYPE = "OneCycle";
    /** The beta2 DeepSpeed writes next to the cycled beta1 when {@code cycle_momentum} is on. */
    public static final double MOMENTUM_BETA2 = 0.99;

    /** Validates the parameters. */
    public OneCycle {
        Checks.present("cycle_first_step_size", shape);
        Checks.nonNegative("decay_step_size", decayStepSize);
        Checks.present("cycle_min_lr", lr);
        Checks.present("cycle_min_mom", momentum);
        Checks.nonNegative("cycle_min_lr", lr.min());
        Checks.nonNegative("cycle_max_lr", lr.max());
        Checks.nonNegative("decay_lr_rate", lr.decayRate());
    }

    /**
     * A lower bound, an upper bound and a post-cycle decay rate, for the lr or the momentum.
     *
     * @param min       {@code cycle_min_lr} / {@code cycle_min_mom}
     * @param max       {@code cycle_max_lr} / {@code cycle_max_mom}
     * @param decayRate {@code decay_lr_rate} / {@code decay_mom_rate}
     */
    public record Bounds(double min, double max, double decayRate) implements java.io.Serializable {
        /** Checks the values are finite (names the lr keys; {@link OneCycle} checks the lr ranges). */
        public Bounds {
            Checks.finite("cycle_min_lr/cycle_min_mom", min);
            Checks.finite("cycle_max_lr/cycle_max_mom", max);
            Checks.finite("decay_lr_rate/decay_mom_rate", decayRate);
        }
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public boolean hasMomentum() {
        return cycleMomentum;
    }

    @Override
    public double lr(long iteration) {
        LrSchedule.checkIteration(iteration);
        if (iteration < 0) {
            return lr.min();
        }
        if (iteration < shape.totalSize()) {
            return lr.min() + (lr.max() - lr.min()) * shape.scaleFactor(iteration);
        }
        if (decayStepSize == 0 || lr.decayRate() == 0) {
            return lr.min();
        }
        return lr.min() / (1 + lr.decayRate() * decayInterval(iteration));
    }

    @Override
    public double momentum(long iteration) {
        if (!cycleMomentum) {
            return LrSchedule.super.momentum(iteration);
        }
        LrSchedule.checkIteration(iteration);
        if (iteration < 0) {
            return momentum.min();
        }
        if (iteration < shape.totalSize()) {
            return momentum.max() - (momentum.max() - momentum.min()) * shape.scaleFactor(iteration);
        }
        if (decayStepSize == 0 || momentum.decayRate() == 0) {
            return momentum.max();
        }
        return momentum.max() * (1 + momentum.decayRate() * decayInterval(iteration));
    }

    private double decayInterval(long iteration) {
        return (iteration - shape.totalSize() + 1) / decayStepSize;
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("cycle_min_lr", lr.min());
        p.put("cycle_max_lr", lr.max());
        p.put("decay_lr_rate", lr.decayRate());
        p.put("cycle_first_step_size", Schedules.integralOrDouble(shape.firstStepSize()));
        p.put("cycle_second_step_size", Schedules.integralOrDouble(shape.secondStepSize()));
        p.put("cycle_first_stair_count", shape.firstStairCount());
        p.put("cycle_second_stair_count", shape.secondStairCount());
        p.put("decay_step_size", Schedules.integralOrDouble(decayStepSize));
        p.put("cycle_momentum", cycleMomentum);
        p.put("cycle_min_mom", momentum.min());
        p.put("cycle_max_mom", momentum.max());
        p.put("decay_mom_rate", momentum.decayRate());
        return p;
    }
}
