package io.ds4j.zero.kernels;

/**
 * The two decay rates of Adam, Lamb and Lion ({@code betas} in DeepSpeed's optimizer params).
 *
 * @param beta1 first coefficient, in [0, 1)
 * @param beta2 second coefficient, in [0, 1)
 */
public record Betas(float beta1, float beta2) {
    /** DeepSpeed's default (0.9, 0.999). */
    public static final Betas DEFAULT = new Betas(0.9f, 0.999f);

    /** Validates the range. */
    public Betas {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("optimizer.params.betas must both be in [0, 1), got [" + beta1 + ", "
                    + beta2 + "]");
        }
    }
}
