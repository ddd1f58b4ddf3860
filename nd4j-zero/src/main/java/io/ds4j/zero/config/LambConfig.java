package io.ds4j.zero.config;

/**
 * LAMB as DeepSpeed builds it ({@code FusedLamb}): Adam's update scaled per tensor by the trust ratio, clamped to
 * {@code [min_coeff, max_coeff]}.
 *
 * @param lr             {@code lr} (default 1e-3)
 * @param beta1          {@code betas[0]} (default 0.9)
 * @param beta2          {@code betas[1]} (default 0.999)
 * @param eps            {@code eps} (default 1e-8)
 * @param weightDecay    {@code weight_decay} (default 0)
 * @param biasCorrection {@code bias_correction} (default true)
 * @param maxCoeff       {@code max_coeff} (default 10)
 * @param minCoeff       {@code min_coeff} (default 0.01)
 * @param epsInsideSqrt  {@code eps_inside_sqrt} (default false)
 */
public record LambConfig(double lr, double beta1, double beta2, double eps, double weightDecay,
                         boolean biasCorrection, double maxCoeff, double minCoeff, boolean epsInsideSqrt)
        implements OptimizerConfig {

    /** Validates the ranges. */
    public LambConfig {
        OptimizerConfig.nonNegative("lr", lr);
        OptimizerConfig.beta("betas[0]", beta1);
        OptimizerConfig.beta("betas[1]", beta2);
        OptimizerConfig.nonNegative("eps", eps);
        OptimizerConfig.nonNegative("weight_decay", weightDecay);
        OptimizerConfig.nonNegative("max_coeff", maxCoeff);
        OptimizerConfig.nonNegative("min_coeff", minCoeff);
    }

    /** {@code FusedLamb}'s defaults. */
    public static LambConfig defaults() {
        return new LambConfig(1e-3, 0.9, 0.999, 1e-8, 0.0, true, 10.0, 0.01, false);
    }
}
