package io.ds4j.zero.config;

/**
 * SGD as DeepSpeed builds it ({@code torch.optim.SGD}).
 *
 * @param lr          {@code lr} (default 1e-3)
 * @param momentum    {@code momentum} (default 0)
 * @param dampening   {@code dampening} (default 0)
 * @param weightDecay {@code weight_decay}, L2 added to the gradient (default 0)
 * @param nesterov    {@code nesterov}; needs momentum &gt; 0 and dampening 0 (default false)
 */
public record SgdConfig(double lr, double momentum, double dampening, double weightDecay, boolean nesterov)
        implements OptimizerConfig {

    /** Validates the ranges and torch's Nesterov rule. */
    public SgdConfig {
        OptimizerConfig.nonNegative("lr", lr);
        OptimizerConfig.nonNegative("momentum", momentum);
        OptimizerConfig.nonNegative("dampening", dampening);
        OptimizerConfig.nonNegative("weight_decay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("optimizer.params.nesterov needs momentum > 0 and dampening 0, got "
                    + "momentum " + momentum + ", dampening " + dampening);
        }
    }

    /** {@code torch.optim.SGD}'s defaults. */
    public static SgdConfig defaults() {
        return new SgdConfig(1e-3, 0.0, 0.0, 0.0, false);
    }
}
