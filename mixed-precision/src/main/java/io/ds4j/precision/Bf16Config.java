package io.ds4j.precision;

/**
 * DeepSpeed's {@code bf16} section (legacy name {@code bfloat16}) with concrete values. Defaults are DeepSpeed
 * 0.19.x's ({@code DeepSpeedBF16Config}).
 *
 * @param enabled                    {@code bf16.enabled} (default false)
 * @param immediateGradUpdate        {@code bf16.immediate_grad_update} (default false)
 * @param checkGradOverflow          {@code bf16.check_grad_overflow}: skip a step whose gradients hold Inf/NaN
 *                                   (default true)
 * @param bf16MasterWeightsAndGrads  {@code bf16.bf16_master_weights_and_grads} (default false)
 * @param bf16OptimizerStates        {@code bf16.bf16_optimizer_states}; only valid together with
 *                                   {@code bf16_master_weights_and_grads} (default false)
 */
public record Bf16Config(boolean enabled, boolean immediateGradUpdate, boolean checkGradOverflow,
                         boolean bf16MasterWeightsAndGrads, boolean bf16OptimizerStates) {

    /** Validates DeepSpeed's rule that bf16 optimizer states need bf16 master weights. */
    public Bf16Config {
        if (bf16OptimizerStates && !bf16MasterWeightsAndGrads) {
            throw new IllegalArgumentException("bf16.bf16_optimizer_states=true is only valid with "
                    + "bf16.bf16_master_weights_and_grads=true; set both, or drop bf16_optimizer_states");
        }
    }

    /** DeepSpeed's defaults (bf16 disabled). */
    public static Bf16Config defaults() {
        return new Bf16Config(false, false, true, false, false);
    }
}
