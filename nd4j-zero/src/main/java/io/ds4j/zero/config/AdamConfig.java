package io.ds4j.zero.config;

/**
 * Adam / AdamW as DeepSpeed builds them ({@code FusedAdam}, or {@code DeepSpeedCPUAdam} when offloaded). Note
 * DeepSpeed's rule: {@code adam_w_mode} defaults to true, so type {@code "Adam"} runs AdamW's decoupled weight
 * decay unless {@code adam_w_mode: false} is given; type {@code "AdamW"} always does.
 *
 * @param lr             {@code lr} (default 1e-3)
 * @param beta1          {@code betas[0]} (default 0.9)
 * @param beta2          {@code betas[1]} (default 0.999)
 * @param eps            {@code eps} (default 1e-8)
 * @param weightDecay    {@code weight_decay} (default 0)
 * @param adamWMode      decoupled weight decay (AdamW) rather than L2 added to the gradient
 * @param biasCorrection {@code bias_correction} (default true)
 */
public record AdamConfig(double lr, double beta1, double beta2, double eps, double weightDecay, boolean adamWMode,
                         boolean biasCorrection) implements OptimizerConfig {

    /** Validates the ranges. */
    public AdamConfig {
        OptimizerConfig.nonNegative("lr", lr);
        OptimizerConfig.beta("betas[0]", beta1);
        OptimizerConfig.beta("betas[1]", beta2);
        OptimizerConfig.nonNegative("eps", eps);
        OptimizerConfig.nonNegative("weight_decay", weightDecay);
    }

    /** {@code FusedAdam}'s defaults (AdamW mode). */
    public static AdamConfig defaults() {
        return new AdamConfig(1e-3, 0.9, 0.999, 1e-8, 0.0, true, true);
    }
}
