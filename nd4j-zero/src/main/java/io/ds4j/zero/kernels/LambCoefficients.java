package io.ds4j.zero.kernels;

/**
 * Bounds of Lamb's trust ratio ({@code max_coeff}, {@code min_coeff} in DeepSpeed's FusedLamb).
 *
 * @param maxCoeff upper bound, DeepSpeed default 10
 * @param minCoeff lower bound, DeepSpeed default 0.01; {@code 0 <= minCoeff <= maxCoeff}
 */
public record LambCoefficients(float maxCoeff, float minCoeff) {
    /** DeepSpeed's defaults (10, 0.01). */
    public static final LambCoefficients DEFAULT = new LambCoefficients(10f, 0.01f);

    /** Validates the bounds. */
    public LambCoefficients {
        if (!(minCoeff >= 0) || !(maxCoeff >= minCoeff) || Float.isInfinite(maxCoeff)) {
            throw new IllegalArgumentException("optimizer.params max_coeff and min_coeff must satisfy 0 <= min_coeff"
                    + " <= max_coeff < inf, got max_coeff " + maxCoeff + ", min_coeff " + minCoeff);
        }
    }

    /**
     * The trust ratio from squared norms: {@code ||w|| / ||u||} clamped to [min, max], or 1 when either norm is 0.
     *
     * @param weightNormSq squared L2 norm of the tensor's parameters before the update
     * @param updateNormSq squared L2 norm of the tensor's Adam update (including weight decay)
     */
    public float trustRatio(double weightNormSq, double updateNormSq) {
        double w = Math.sqrt(weightNormSq);
        double u = Math.sqrt(updateNormSq);
        if (w == 0 || u == 0) {
            return 1f;
        }
        return (float) Math.min(maxCoeff, Math.max(minCoeff, w / u));
    }
}
