package io.ds4j.zero.step;

/**
 * Where the division by the world size happens when gradients are averaged over ranks ({@code prescale_gradients},
 * {@code gradient_predivide_factor}).
 *
 * <p>DeepSpeed averages rank gradients either by dividing each rank's gradient by the world size {@code W} before the
 * sum ({@code prescale_gradients: true}), or by dividing by the predivide factor {@code f} before the sum and by
 * {@code W / f} after it (the default, with {@code f = 1}: sum, then divide by {@code W}). The result is the same mean
 * up to rounding; the choice only moves where the magnitude is reduced, which matters for fp16 range.
 *
 * @param prescaleGradients {@code prescale_gradients} (default false)
 * @param gradientPredivideFactor {@code gradient_predivide_factor} (default 1.0), finite and positive
 */
public record ReductionScaling(boolean prescaleGradients, double gradientPredivideFactor) {

    /** DeepSpeed's defaults: post-scaling, predivide factor 1. */
    public static final ReductionScaling DEFAULT = new ReductionScaling(false, 1.0);

    /** Validates the factor. */
    public ReductionScaling {
        if (!(gradientPredivideFactor > 0.0) || Double.isInfinite(gradientPredivideFactor)) {
            throw new IllegalArgumentException("gradient_predivide_factor: " + gradientPredivideFactor
                    + " is not allowed; use a finite value > 0 (default 1.0)");
        }
    }

    /**
     * @param worldSize the number of ranks
     * @return the factor each rank multiplies its gradient with before the sum
     */
    public double beforeSum(int worldSize) {
        return prescaleGradients ? 1.0 / worldSize : 1.0 / gradientPredivideFactor;
    }

    /**
     * @param worldSize the number of ranks
     * @return the factor the summed gradient is multiplied with, so that the two factors give the mean over ranks
     */
    public double afterSum(int worldSize) {
        return prescaleGradients ? 1.0 : gradientPredivideFactor / worldSize;
    }
}
