package io.ds4j.precision;

/**
 * The fixed parameters of a dynamic loss scale, taken from DeepSpeed's {@code fp16} section. The scale factor is
 * 2, as in DeepSpeed.
 *
 * @param lossScaleWindow       {@code fp16.loss_scale_window}: stable steps between doublings (&gt; 0)
 * @param hysteresis            {@code fp16.hysteresis}: overflows that lower the scale once (&ge; 1)
 * @param consecutiveHysteresis {@code fp16.consecutive_hysteresis}: refill the hysteresis after every good step
 *                              (otherwise only when the scale grows)
 * @param minLossScale          {@code fp16.min_loss_scale}: the floor (&gt; 0)
 */
public record DynamicLossScaleRules(int lossScaleWindow, int hysteresis, boolean consecutiveHysteresis,
                                    double minLossScale) {

    /** The factor the scale is divided by on overflow and multiplied by after a stable window. */
    public static final double SCALE_FACTOR = 2.0;

    /** Validates the ranges; messages name DeepSpeed's key. */
    public DynamicLossScaleRules {
        if (lossScaleWindow <= 0) {
            throw new IllegalArgumentException("fp16.loss_scale_window must be > 0 for dynamic loss scaling, got "
                    + lossScaleWindow);
        }
        if (hysteresis < 1) {
            throw new IllegalArgumentException("fp16.hysteresis must be >= 1, got " + hysteresis);
        }
        if (!(minLossScale > 0) || !Double.isFinite(minLossScale)) {
            throw new IllegalArgumentException("fp16.min_loss_scale must be finite and > 0 for dynamic loss "
                    + "scaling, got " + minLossScale);
        }
    }

    /** The rules of an {@code fp16} section (whatever its {@code enabled} and {@code loss_scale}). */
    public static DynamicLossScaleRules of(Fp16Config fp16) {
        return new DynamicLossScaleRules(fp16.lossScaleWindow(), fp16.hysteresis(), fp16.consecutiveHysteresis(),
                fp16.minLossScale());
    }
}
