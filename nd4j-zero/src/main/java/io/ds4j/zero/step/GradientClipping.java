package io.ds4j.zero.step;

/**
 * Global-norm gradient clipping as DeepSpeed's ZeRO optimizer defines it ({@code gradient_clipping} key).
 *
 * <p>With {@code N} the L2 norm of the whole (unscaled, averaged) gradient across every shard and {@code c > 0} the
 * configured limit, the gradient is multiplied by {@code 1 / max(1, (N + 1e-6) / c)}. The {@code 1e-6} keeps the
 * factor finite for a zero gradient and means a gradient whose norm is just below {@code c} is still scaled by a
 * factor slightly under one, exactly as DeepSpeed does. {@code c == 0} disables clipping.
 *
 * @param maxNorm the {@code gradient_clipping} value; 0 disables clipping
 */
public record GradientClipping(double maxNorm) {

    /** DeepSpeed's epsilon added to the norm before comparing it with the limit. */
    public static final double EPSILON = 1e-6;

    /** Clipping switched off ({@code gradient_clipping: 0}; DeepSpeed 0.19.6 defaults to 1.0). */
    public static final GradientClipping NONE = new GradientClipping(0.0);

    /**
     * @param maxNorm the {@code gradient_clipping} value
     * @throws IllegalArgumentException if {@code maxNorm} is negative or not finite
     */
    public GradientClipping {
        if (!(maxNorm >= 0.0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("gradient_clipping: " + maxNorm
                    + " is not allowed; use a finite value >= 0 (0 disables clipping)");
        }
    }

    /** @return true when clipping is switched on */
    public boolean enabled() {
        return maxNorm > 0.0;
    }

    /**
     * The factor every gradient element is multiplied with: the one clipping rule of every driver, applied by the
     * DL4J-updater path to the gradient itself and read by the fused kernels as their gradient multiplier (DeepSpeed's
     * {@code 1 / combined_scale} once the gradient is unscaled).
     *
     * @param totalNorm the global L2 norm of the unscaled gradient (all shards together)
     * @return {@code 1 / max(1, (totalNorm + 1e-6) / maxNorm)}, 1 when clipping is off, NaN for a NaN norm with
     *         clipping on (such a gradient cannot be clipped; the fused kernels refuse a NaN multiplier)
     */
    public double multiplier(double totalNorm) {
        if (!enabled()) {
            return 1.0;
        }
        double ratio = (totalNorm + EPSILON) / maxNorm;
        return ratio > 1.0 ? 1.0 / ratio : ratio <= 1.0 ? 1.0 : Double.NaN;
    }
}
