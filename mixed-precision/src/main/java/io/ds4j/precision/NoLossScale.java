package io.ds4j.precision;

/**
 * No loss scaling (fp16 disabled: fp32 or bf16 training): the scale is 1 forever. Steps can still be skipped for
 * Inf/NaN gradients (DeepSpeed's {@code bf16.check_grad_overflow}), which {@link #skipped()} records.
 *
 * @param skipped     whether the step that produced this state overflowed and was skipped
 * @param stableSteps steps without overflow since the last overflow or the start
 */
public record NoLossScale(boolean skipped, long stableSteps) implements LossScale {

    /** Validates the counter. */
    public NoLossScale {
        if (stableSteps < 0) {
            throw new IllegalArgumentException("stableSteps must be >= 0, got " + stableSteps);
        }
    }

    /** A state with no stable steps counted yet. */
    public NoLossScale(boolean skipped) {
        this(skipped, 0);
    }

    @Override
    public double value() {
        return 1.0;
    }

    @Override
    public int hysteresisLeft() {
        return 0;
    }

    @Override
    public NoLossScale afterStep(boolean overflow) {
        return new NoLossScale(overflow, overflow ? 0 : stableSteps + 1);
    }

    /** {@code [ds4j] OVERFLOW! Rank r Skipping step.} (no scale: DeepSpeed prints none outside fp16 either). */
    @Override
    public String overflowMessage(int rank, LossScale next) {
        return LossScale.overflowHead(rank);
    }
}
