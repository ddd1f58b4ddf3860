package io.ds4j.precision;

/**
 * A dynamic loss scale ({@code fp16.loss_scale} == 0) following DeepSpeed 0.19's {@code DynamicLossScaler}.
 *
 * <p>After an overflowing step: if no hysteresis is left ({@code hysteresis} == 1 or {@code hysteresisLeft} == 1)
 * the scale is halved, but not below {@code min_loss_scale}; if it already equals {@code min_loss_scale} a
 * {@link LossScaleException} is thrown. Otherwise only {@code hysteresisLeft} drops by one. Either way the stable
 * count restarts at 0. (Halving leaves {@code hysteresisLeft} at 1: further overflows keep halving until it is
 * refilled.)
 *
 * <p>After a good step: with {@code consecutive_hysteresis} the hysteresis is refilled. Then, if the stable count
 * (good steps before this one since the last overflow) is a positive multiple of {@code loss_scale_window}, the
 * scale doubles and, without {@code consecutive_hysteresis}, the hysteresis is refilled. The stable count then grows
 * by one. From the start (DeepSpeed's "last overflow" is iteration -1) the first doubling thus follows the
 * ({@code loss_scale_window} + 1)-th good step.
 *
 * @param rules          the fixed parameters
 * @param value          the scale for the coming step (&gt; 0)
 * @param hysteresisLeft DeepSpeed's {@code cur_hysteresis}, in [1, {@code rules.hysteresis()}]
 * @param stableSteps    good steps since the last overflow (or the start), &ge; 0
 * @param skipped        whether the step that produced this state overflowed and was skipped
 */
public record DynamicLossScale(DynamicLossScaleRules rules, double value, int hysteresisLeft, long stableSteps,
                               boolean skipped) implements LossScale {

    /** Validates the state against the rules. */
    public DynamicLossScale {
        if (rules == null) {
            throw new IllegalArgumentException("rules must not be null");
        }
        if (!(value > 0)) {
            throw new IllegalArgumentException("loss scale must be > 0, got " + value);
        }
        if (hysteresisLeft < 1 || hysteresisLeft > rules.hysteresis()) {
            throw new IllegalArgumentException("hysteresisLeft must be in [1, fp16.hysteresis=" + rules.hysteresis()
                    + "], got " + hysteresisLeft);
        }
        if (stableSteps < 0) {
            throw new IllegalArgumentException("stableSteps must be >= 0, got " + stableSteps);
        }
    }

    /**
     * The first state: full hysteresis, no stable steps, nothing skipped.
     *
     * @param initialScale 2^{@code fp16.initial_scale_power} (see {@link Fp16Config#initialScale()})
     */
    public static DynamicLossScale start(DynamicLossScaleRules rules, double initialScale) {
        return new DynamicLossScale(rules, initialScale, rules.hysteresis(), 0, false);
    }

    @Override
    public DynamicLossScale afterStep(boolean overflow) {
        return overflow ? afterOverflow() : afterGoodStep();
    }

    private DynamicLossScale afterOverflow() {
        if (rules.hysteresis() == 1 || hysteresisLeft == 1) {
            if (value == rules.minLossScale()) {
                throw new LossScaleException(value, rules.minLossScale());
            }
            double next = Math.max(value / DynamicLossScaleRules.SCALE_FACTOR, rules.minLossScale());
            return new DynamicLossScale(rules, next, hysteresisLeft, 0, true);
        }
        return new DynamicLossScale(rules, value, hysteresisLeft - 1, 0, true);
    }

    private DynamicLossScale afterGoodStep() {
        int hysteresis = rules.consecutiveHysteresis() ? rules.hysteresis() : hysteresisLeft;
        double next = value;
        if (stableSteps > 0 && stableSteps % rules.lossScaleWindow() == 0) {
            hysteresis = rules.hysteresis();
            next = value * DynamicLossScaleRules.SCALE_FACTOR;
        }
        return new DynamicLossScale(rules, next, hysteresis, stableSteps + 1, false);
    }

    /**
     * {@code [ds4j] OVERFLOW! Rank r Skipping step. Attempted loss scale: X, reducing to Y}, or, when only the
     * hysteresis was consumed, {@code ... Attempted loss scale: X, but hysteresis is H. Reducing hysteresis to H-1}.
     */
    @Override
    public String overflowMessage(int rank, LossScale next) {
        String head = LossScale.overflowHead(rank) + " Attempted loss scale: " + LossScale.format(value);
        if (next.value() < value) {
            return head + ", reducing to " + LossScale.format(next.value());
        }
        if (next.value() > value) { // only when the scale started below fp16.min_loss_scale
            return head + ", raising to fp16.min_loss_scale " + LossScale.format(next.value());
        }
        return head + ", but hysteresis is " + hysteresisLeft + ". Reducing hysteresis to "
                + next.hysteresisLeft();
    }
}
