package io.ds4j.precision;

/**
 * DeepSpeed's {@code fp16} section with concrete values (any {@code "auto"} was resolved by the adapter before this
 * record is built). Field names are DeepSpeed's keys in camelCase; defaults are DeepSpeed 0.19.x's
 * ({@code DeepSpeedFP16Config}).
 *
 * <p>The constructor enforces DeepSpeed's own rules: {@code loss_scale} finite and &ge; 0 (0 means dynamic);
 * when fp16 is enabled with dynamic scaling, {@code loss_scale_window} &gt; 0 and {@code min_loss_scale} &gt; 0.
 * ds4j adds: {@code hysteresis} &ge; 1 (with 0 DeepSpeed's hysteresis counter goes 0, -1, -2, ... and the scale
 * never drops, so every overflowing step would be skipped forever) and {@code initial_scale_power} in [0, 127] so
 * that 2^power is a finite float.
 *
 * @param enabled                    {@code fp16.enabled} (default false)
 * @param autoCast                   {@code fp16.auto_cast} (default false)
 * @param lossScale                  {@code fp16.loss_scale}; 0 = dynamic (default 0)
 * @param initialScalePower          {@code fp16.initial_scale_power}; the dynamic scale starts at 2^power (default 16)
 * @param lossScaleWindow            {@code fp16.loss_scale_window} (default 1000)
 * @param hysteresis                 {@code fp16.hysteresis} (default 2)
 * @param consecutiveHysteresis      {@code fp16.consecutive_hysteresis} (default false)
 * @param minLossScale               {@code fp16.min_loss_scale} (default 1)
 * @param fp16MasterWeightsAndGrads  {@code fp16.fp16_master_weights_and_grads} (default false)
 */
public record Fp16Config(boolean enabled, boolean autoCast, double lossScale, int initialScalePower,
                         int lossScaleWindow, int hysteresis, boolean consecutiveHysteresis, double minLossScale,
                         boolean fp16MasterWeightsAndGrads) {

    /** Validates DeepSpeed's rules; messages name the key, the value and the allowed range. */
    public Fp16Config {
        if (!Double.isFinite(lossScale) || lossScale < 0) {
            throw new IllegalArgumentException("fp16.loss_scale must be a finite number >= 0 (0 enables dynamic "
                    + "loss scaling), got " + lossScale);
        }
        if (initialScalePower < 0 || initialScalePower > 127) {
            throw new IllegalArgumentException("fp16.initial_scale_power must be in [0, 127] so that "
                    + "2^initial_scale_power is a finite scale, got " + initialScalePower);
        }
        if (hysteresis < 1) {
            throw new IllegalArgumentException("fp16.hysteresis must be >= 1 (overflows tolerated before the "
                    + "scale drops), got " + hysteresis);
        }
        if (enabled && lossScale == 0) {
            if (lossScaleWindow <= 0) {
                throw new IllegalArgumentException("fp16.loss_scale_window must be > 0 when dynamic loss scaling "
                        + "is enabled (loss_scale=0), got " + lossScaleWindow);
            }
            if (!(minLossScale > 0) || !Double.isFinite(minLossScale)) {
                throw new IllegalArgumentException("fp16.min_loss_scale must be > 0 when dynamic loss scaling is "
                        + "enabled (loss_scale=0), got " + minLossScale);
            }
        }
    }

    /** DeepSpeed's defaults (fp16 disabled). */
    public static Fp16Config defaults() {
        return new Fp16Config(false, false, 0, 16, 1000, 2, false, 1, false);
    }

    /** DeepSpeed's defaults with {@code enabled} set as given. */
    public static Fp16Config enabled(boolean enabled) {
        Fp16Config d = defaults();
        return new Fp16Config(enabled, d.autoCast, d.lossScale, d.initialScalePower, d.lossScaleWindow,
                d.hysteresis, d.consecutiveHysteresis, d.minLossScale, d.fp16MasterWeightsAndGrads);
    }

    /** True when the loss scale is dynamic ({@code loss_scale} == 0). */
    public boolean dynamic() {
        return lossScale == 0;
    }

    /** The first loss scale: 2^{@code initial_scale_power} when dynamic, else {@code loss_scale}. */
    public double initialScale() {
        return dynamic() ? Math.scalb(1.0, initialScalePower) : lossScale;
    }
}
