package io.ds4j.zero.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link FusedAdagrad} against a double reference of DeepSpeed's CPU Adagrad (raw gradient in the numerator, weight
 * decay only in the accumulator). Tolerance 2e-6 without weight decay: per step about 5 fp32 roundings of an
 * update of at most lr (<= 3e-9) and one of the parameter (6e-8), 20 steps: <= 1.3e-6; the accumulator (<= 20) sums
 * 20 rounded squares. With weight decay, DeepSpeed's formula is ill-conditioned where {@code g ~ -weight_decay * p}:
 * the accumulator starts from a cancelled {@code d^2} while the numerator keeps the raw {@code g}, so the rounding of
 * {@code d} is amplified by {@code |g| / |d|}; there the tolerance is 1e-5 (observed worst 4.1e-6 over 2M
 * element-steps with eps 1e-10; eps 1e-3 bounds the amplification and passes 2e-6).
 */
class FusedAdagradTest {
    @ParameterizedTest(name = "weightDecay={0} eps={1} tolerance={2}")
    @CsvSource({"0,1e-10,2e-6", "0.01,1e-10,1e-5", "0.01,1e-3,2e-6"})
    void matchesDeepSpeedFormula(float wd, float eps, double tol) {
        FusedAdagrad opt = new FusedAdagrad(eps, wd);
        KernelChecks.verify(opt, (p, s, g, t, lr) -> {
            for (int i = 0; i < p.length; i++) {
                double d = wd > 0 ? g[i] + wd * p[i] : g[i];
                s[0][i] += d * d;
                p[i] -= lr * g[i] / (Math.sqrt(s[0][i]) + eps);
            }
        }, 1e-2f, 0.0625f, tol, true);
    }
}
