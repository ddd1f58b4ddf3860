package io.ds4j.precision;

/**
 * Thrown by {@link DynamicLossScale#afterStep(boolean)} when the gradients overflow while the loss scale already
 * equals {@code fp16.min_loss_scale} and no hysteresis is left: the scale cannot go lower, so training stops, at the
 * same point where DeepSpeed raises. The message says why and what to try.
 */
public final class LossScaleException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final double scale;
    private final double minLossScale;

    /**
     * @param scale        the scale of the step that overflowed
     * @param minLossScale {@code fp16.min_loss_scale}
     */
    public LossScaleException(double scale, double minLossScale) {
        super(message(scale, minLossScale));
        this.scale = scale;
        this.minLossScale = minLossScale;
    }

    private static String message(double scale, double minLossScale) {
        return "Gradients overflowed (Inf/NaN) with the loss scale already at its minimum, "
                + LossScale.format(scale) + " (fp16.min_loss_scale=" + LossScale.format(minLossScale)
                + "): the scale cannot be decreased any further, stopping the run. The overflow does not come from "
                + "loss scaling alone. Try, in this order: train in bf16 instead (\"bf16\": {\"enabled\": true}, "
                + "\"fp16\": {\"enabled\": false}), which needs no loss scale; lower the learning rate or clip "
                + "gradients (\"gradient_clipping\"); check the data for Inf/NaN or extreme values; only if the "
                + "scale legitimately needs to go lower, lower fp16.min_loss_scale.";
    }

    /** The scale of the step that overflowed. */
    public double scale() {
        return scale;
    }

    /** The configured floor, {@code fp16.min_loss_scale}. */
    public double minLossScale() {
        return minLossScale;
    }
}
