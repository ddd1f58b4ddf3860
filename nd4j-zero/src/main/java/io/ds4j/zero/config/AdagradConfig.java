package io.ds4j.zero.config;

/**
 * Adagrad as DeepSpeed builds it ({@code torch.optim.Adagrad}, or {@code DeepSpeedCPUAdagrad} when offloaded;
 * both default {@code lr} 1e-2 and {@code eps} 1e-10).
 *
 * @param lr                      {@code lr} (default 1e-2)
 * @param lrDecay                 {@code lr_decay} (default 0)
 * @param weightDecay             {@code weight_decay} (default 0)
 * @param initialAccumulatorValue {@code initial_accumulator_value} (default 0)
 * @param eps                     {@code eps} (default 1e-10)
 */
public record AdagradConfig(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue,
                            double eps) implements OptimizerConfig {

    /** Validates the ranges. */
    public AdagradConfig {
        OptimizerConfig.nonNegative("lr", lr);
        OptimizerConfig.nonNegative("lr_decay", lrDecay);
        OptimizerConfig.nonNegative("weight_decay", weightDecay);
        OptimizerConfig.nonNegative("initial_accumulator_value", initialAccumulatorValue);
        OptimizerConfig.nonNegative("eps", eps);
    }

    /** The defaults of {@code torch.optim.Adagrad}. */
    public static AdagradConfig defaults() {
        return new AdagradConfig(1e-2, 0.0, 0.0, 0.0, 1e-10);
    }
}
