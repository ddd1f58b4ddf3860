package io.ds4j.zero.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link FusedAdam} against a double-precision reference of DeepSpeed's CPU Adam formula (written here from the
 * formula, not from the kernel). 20 steps, lr 1e-2, gradients up to 16 times a 1/16 (or clipping) multiplier.
 *
 * <p>Tolerance 2e-6 relative (absolute below 1): each step rounds the update {@code lr * m / (sqrt(v) b2 + eps)} with
 * about 8 fp32 operations (relative error <= 8 * 2^-24 = 5e-7 of an update of at most lr * ~3) and the parameter once
 * (2^-24 = 6e-8 of |p| <= ~1.2); over 20 steps that accumulates to at most 20 * (1.5e-8 + 6e-8) = 1.5e-6.
 */
class FusedAdamTest {
    static final double TOL = 2e-6;

    @ParameterizedTest(name = "adamW={0} weightDecay={1} biasCorrection={2} multiplier={3}")
    @CsvSource({"true,0,true,0.0625", "true,0.01,true,0.0625", "false,0,true,0.0625", "false,0.01,true,0.0625",
        "true,0.01,false,0.0625", "false,0.01,false,0.0625", "true,0.1,true,0.0123456"})
    void matchesDeepSpeedFormula(boolean adamW, float wd, boolean bias, float mult) {
        FusedAdam opt = new FusedAdam(new Betas(0.9f, 0.999f), 1e-8f, wd, adamW, bias);
        KernelChecks.verify(opt, (p, s, g, t, lr) -> reference(p, s, g, t, lr, opt), 1e-2f, mult, TOL, true);
    }

    /** DeepSpeed's CPU Adam, in double. */
    static void reference(double[] p, double[][] s, double[] g, long t, double lr, FusedAdam o) {
        double b1 = o.betas().beta1();
        double b2 = o.betas().beta2();
        double bc1 = o.biasCorrection() ? 1 - Math.pow(b1, t) : 1;
        double bc2 = o.biasCorrection() ? 1 - Math.pow(b2, t) : 1;
        double wd = o.weightDecay();
        for (int i = 0; i < p.length; i++) {
            double grad = g[i];
            if (wd > 0 && !o.adamWMode()) {
                grad += wd * p[i];
            }
            s[0][i] = b1 * s[0][i] + (1 - b1) * grad;
            s[1][i] = b2 * s[1][i] + (1 - b2) * grad * grad;
            double denom = Math.sqrt(s[1][i]) / Math.sqrt(bc2) + o.eps();
            if (wd > 0 && o.adamWMode()) {
                p[i] -= lr * wd * p[i];
            }
            p[i] -= lr / bc1 * s[0][i] / denom;
        }
    }

    @Test
    void defaultsAndValidation() {
        FusedAdam d = FusedAdam.deepSpeedDefaults();
        assertEquals(new FusedAdam(new Betas(0.9f, 0.999f), 1e-8f, 0f, true, true), d);
        assertEquals("AdamW", d.name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FusedAdam(Betas.DEFAULT, -1f, 0f, true, true));
        assertEquals("optimizer.params.eps must be finite and >= 0, got -1.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Betas(1f, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> d.step(OptimizerBuffers.of(VectorStorage.of(new float[2]),
                VectorStorage.of(new float[2])), new StepArgs(1, 1e-3f, 1f), new KernelPool(1)));
    }
}
