package io.ds4j.zero.config;

/**
 * Lion as DeepSpeed builds it ({@code FusedLion}, or {@code DeepSpeedCPULion} when offloaded). DeepSpeed's default
 * betas are (0.9, 0.999), not the paper's (0.9, 0.99).
 *
 * @param lr          {@code lr} (default 1e-3)
 * @param beta1       {@code betas[0]} (default 0.9)
 * @param beta2       {@code betas[1]} (default 0.999)
 * @param weightDecay {@code weight_decay}, decoupled (default 0)
 */
public record LionConfig(double lr, double beta1, double beta2, double weightDecay) implements OptimizerConfig {

    /** Validates the ranges. */
    public LionConfig {
        OptimizerConfig.nonNegative("lr", lr);
        OptimizerConfig.beta("betas[0]", beta1);
        OptimizerConfig.beta("betas[1]", beta2);
        OptimizerConfig.nonNegative("weight_decay", weightDecay);
    }

    /** {@code FusedLion}'s defaults. */
    public static LionConfig defaults() {
        return new LionConfig(1e-3, 0.9, 0.999, 0.0);
    }
}
