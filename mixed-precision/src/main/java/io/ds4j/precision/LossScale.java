package io.ds4j.precision;

/**
 * The loss scale in force for one training step, as an immutable value: {@link #afterStep(boolean)} returns the
 * state for the next step and never changes this one.
 *
 * <p>Three kinds, chosen by {@link #of(Fp16Config)} from DeepSpeed's {@code fp16} section:
 * <ul>
 *   <li>{@link NoLossScale}: fp16 disabled (fp32 or bf16 training); the scale is 1 and never changes.</li>
 *   <li>{@link StaticLossScale}: {@code fp16.loss_scale} &gt; 0; that value forever, overflowing steps are still
 *       skipped.</li>
 *   <li>{@link DynamicLossScale}: {@code fp16.loss_scale} == 0; starts at 2^{@code initial_scale_power} and follows
 *       DeepSpeed's {@code DynamicLossScaler.update_scale} rules exactly (hysteresis, consecutive hysteresis, growth
 *       after {@code loss_scale_window} stable steps, the {@code min_loss_scale} floor and the error below it).</li>
 * </ul>
 *
 * <p>Call order per step: scale the loss by {@link #value()}, compute gradients, decide overflow globally (any Inf or
 * NaN on any rank), skip the step if it overflowed, then {@code scale = scale.afterStep(overflow)}; log
 * {@link #overflowMessage(int, LossScale)} for a skipped step. Unlike DeepSpeed, whose ZeRO stage 0 fp16 optimizer
 * halves the scale on every overflow, ds4j applies the same hysteresis rules at every ZeRO stage.
 */
public sealed interface LossScale permits NoLossScale, StaticLossScale, DynamicLossScale {

    /** The loss scale DeepSpeed would use for the first step under this {@code fp16} section. */
    static LossScale of(Fp16Config fp16) {
        if (!fp16.enabled()) {
            return new NoLossScale(false);
        }
        if (!fp16.dynamic()) {
            return new StaticLossScale(fp16.lossScale(), false);
        }
        return DynamicLossScale.start(DynamicLossScaleRules.of(fp16), fp16.initialScale());
    }

    /** The factor the loss (hence every gradient) is multiplied by in this step. */
    double value();

    /**
     * DeepSpeed's current hysteresis ({@code cur_hysteresis}): an overflow while this is 1 lowers the scale, an
     * overflow while it is larger only decrements it. 0 for the static and no-scale kinds, which have none.
     */
    int hysteresisLeft();

    /**
     * Steps without overflow since the last overflow (or since the start), not counting the coming step: DeepSpeed's
     * {@code stable_interval}. The scale doubles after a good step that finds this a positive multiple of
     * {@code loss_scale_window}. Counted by every kind (for logs), used only by the dynamic one.
     */
    long stableSteps();

    /** True when the step that produced this state overflowed and was skipped; false for the initial state. */
    boolean skipped();

    /**
     * The state for the next step, given whether this step's gradients overflowed.
     *
     * @throws LossScaleException when the gradients overflowed, the scale is already at {@code min_loss_scale} and
     *                            no hysteresis is left: training cannot go on (DeepSpeed raises at the same point)
     */
    LossScale afterStep(boolean overflow);

    /**
     * A log line for a skipped step, in the spirit of DeepSpeed's
     * {@code OVERFLOW! Rank r Skipping step. Attempted loss scale: X, reducing to Y}.
     *
     * @param rank the rank reporting
     * @param next the state {@link #afterStep(boolean) afterStep(true)} returned from this one
     */
    String overflowMessage(int rank, LossScale next);

    /** The multiplier that unscales gradients computed at this scale: {@code (float) (1 / value())}. */
    default float unscaleMultiplier() {
        return (float) (1.0 / value());
    }

    /** Formats a scale as DeepSpeed prints it: whole numbers without a fraction, others in full. */
    static String format(double scale) {
        if (scale == Math.rint(scale) && Math.abs(scale) < 1e18) {
            return Long.toString((long) scale);
        }
        return Double.toString(scale);
    }

    /** The common head of every overflow line: {@code [ds4j] OVERFLOW! Rank r Skipping step.} */
    static String overflowHead(int rank) {
        return "[ds4j] OVERFLOW! Rank " + rank + " Skipping step.";
    }
}
