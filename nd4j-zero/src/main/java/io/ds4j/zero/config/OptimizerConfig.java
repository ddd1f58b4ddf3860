package io.ds4j.zero.config;

/**
 * An optimizer of a DeepSpeed configuration ({@code optimizer.type} and {@code optimizer.params}) with concrete
 * hyper-parameters: every {@code "auto"} resolved and every missing value set to the default of the class DeepSpeed
 * instantiates for it ({@code FusedAdam}, {@code torch.optim.SGD}, {@code torch.optim.Adagrad}, {@code FusedLamb},
 * {@code FusedLion}). The learning rate is the base rate; a schedule overrides it step by step.
 */
public sealed interface OptimizerConfig permits AdamConfig, SgdConfig, AdagradConfig, LambConfig, LionConfig {

    /** The base learning rate ({@code lr}). */
    double lr();

    /** Checks a hyper-parameter that must be a finite number &ge; 0. */
    static double nonNegative(String key, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("optimizer.params." + key + " must be a finite number >= 0, got " + v);
        }
        return v;
    }

    /** Checks a moment coefficient: {@code [0, 1)}. */
    static double beta(String key, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException("optimizer.params." + key + " must be in [0, 1), got " + v);
        }
        return v;
    }
}
