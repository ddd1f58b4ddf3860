package io.ds4j.precision;

/**
 * A static loss scale ({@code fp16.loss_scale} &gt; 0): the same value for every step. A step whose gradients
 * overflow is still skipped, as DeepSpeed's ZeRO optimizers do, but the scale does not change.
 *
 * @param value       the scale, finite and &gt; 0
 * @param skipped     whether the step that produced this state overflowed and was skipped
 * @param stableSteps steps without overflow since the last overflow or the start
 */
public record StaticLossScale(double value, boolean skipped, long stableSteps) implements LossScale {

    /** Validates the scale and the counter. */
    public StaticLossScale {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException("fp16.loss_scale for a static scale must be finite and > 0, got "
                    + value);
        }
        if (stableSteps < 0) {
            throw new IllegalArgumentException("stableSteps must be >= 0, got " + stableSteps);
        }
    }

    /** A state with no stable steps counted yet. */
    public StaticLossScale(double value, boolean skipped) {
        this(value, skipped, 0);
    }

    @Override
    public int hysteresisLeft() {
        return 0;
    }

    @Override
    public StaticLossScale afterStep(boolean overflow) {
        return new StaticLossScale(value, overflow, overflow ? 0 : stableSteps + 1);
    }

    /** {@code [ds4j] OVERFLOW! Rank r Skipping step. Attempted loss scale: X (static, kept)}. */
    @Override
    public String overflowMessage(int rank, LossScale next) {
        return LossScale.overflowHead(rank) + " Attempted loss scale: " + LossScale.format(value)
                + " (static fp16.loss_scale, kept)";
    }
}
