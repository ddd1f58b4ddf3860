package io.ds4j.zero.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link FusedLion} against a double reference of DeepSpeed's CPU Lion. The update is exactly {@code lr * sign(c)},
 * so the only parameter error is its rounding (6e-8 per step, 20 steps: 1.2e-6; tolerance 2e-6). The gradients and
 * seed are fixed; no {@code c} lands close enough to 0 for fp32 and double to disagree on its sign.
 */
class FusedLionTest {
    @ParameterizedTest(name = "weightDecay={0}")
    @CsvSource({"0", "0.1"})
    void matchesDeepSpeedFormula(float wd) {
        FusedLion opt = new FusedLion(new Betas(0.9f, 0.99f), wd);
        KernelChecks.verify(opt, (p, s, g, t, lr) -> {
            double b1 = 0.9f;
            double b2 = 0.99f;
            for (int i = 0; i < p.length; i++) {
                double c = b1 * s[0][i] + (1 - b1) * g[i];
                p[i] = p[i] * (1 - lr * wd) - Math.copySign(lr, c);
                s[0][i] = b2 * s[0][i] + (1 - b2) * g[i];
            }
        }, 1e-3f, 0.0625f, 2e-6, true);
    }
}
