package io.ds4j.zero.kernels;

/**
 * The per-step inputs of a kernel.
 *
 * @param step           DeepSpeed's optimizer step, 1 for the first update
 * @param lr             learning rate of this step (from the schedule)
 * @param gradMultiplier factor applied to every gradient as it is read: {@code 1 / combined_scale}
 *                       ({@link #unscaleAndClip}); 1 when gradients are already unscaled and clipped
 */
public record StepArgs(long step, float lr, float gradMultiplier) {
    /** Validates the values, naming the bad one. */
    public StepArgs {
        if (step < 1) {
            throw new IllegalArgumentException("optimizer step must be >= 1 (1 is the first update), got " + step);
        }
        if (!(lr >= 0) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
        }
        if (!Float.isFinite(gradMultiplier)) {
            throw new IllegalArgumentException("gradient multiplier must be finite, got " + gradMultiplier
                    + " (an overflowing step must be skipped before the optimizer runs)");
        }
    }

    /**
     * DeepSpeed's combined unscale-and-clip factor (stage_1_and_2 {@code unscale_and_clip_grads}): with the norm of
     * the still-scaled gradients {@code totalNorm}, {@code clip = (totalNorm / lossScale + 1e-6) / maxNorm},
     * {@code combined = lossScale * max(clip, 1)} when {@code maxNorm > 0}, else {@code lossScale}; the gradients are
     * multiplied by {@code 1 / combined}.
     *
     * @param lossScale the loss scale the gradients carry (1 without loss scaling)
     * @param totalNorm global L2 norm of the scaled gradients over all ranks
     * @param maxNorm   {@code gradient_clipping}; 0 disables clipping
     * @return {@code 1 / combined}
     */
    public static float unscaleAndClip(double lossScale, double totalNorm, double maxNorm) {
        if (!(lossScale > 0) || Double.isInfinite(lossScale)) {
            throw new IllegalArgumentException("loss scale must be finite and > 0, got " + lossScale);
        }
        if (maxNorm < 0) {
            throw new IllegalArgumentException("gradient_clipping must be >= 0, got " + maxNorm);
        }
        double combined = lossScale;
        if (maxNorm > 0) {
            double clip = (totalNorm / lossScale + 1e-6) / maxNorm;
            combined = Math.max(clip, 1.0) * lossScale;
        }
        return (float) (1.0 / combined);
    }
}
