package io.ds4j.zero.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.ds4j.zero.shard.Range;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link FusedLamb} against a double reference of DeepSpeed's FusedLamb. Tolerance 2e-6: the update is an Adam-like
 * term (relative error ~5e-7) times the trust ratio (norms accumulated in double from fp32 terms, relative error
 * ~1e-7), scaled by step_size <= lr * 3.2 at t = 1 and a ratio <= 10 clamped; with lr 1e-3 an update is <= 3e-2, its
 * error <= 2e-8, plus the parameter rounding 6e-8 per step: 20 steps <= 1.6e-6.
 */
class FusedLambTest {
    @ParameterizedTest(name = "weightDecay={0} biasCorrection={1} max={2} min={3}")
    @CsvSource({"0,true,10,0.01", "0.01,true,10,0.01", "0.01,false,10,0.01", "0,true,0.5,0.01", "0,true,10,5"})
    void matchesDeepSpeedFormulaWithOneTensor(float wd, boolean bias, float max, float min) {
        FusedLamb opt = new FusedLamb(new Betas(0.9f, 0.999f), 1e-8f, wd, bias, new LambCoefficients(max, min));
        KernelChecks.verify(opt, (p, s, g, t, lr) -> reference(p, s, g, t, lr, opt, 0, p.length), 1e-3f, 0.0625f,
                2e-6, false);
    }

    /** DeepSpeed's FusedLamb on the tensor {@code [from, to)}, in double. */
    static void reference(double[] p, double[][] s, double[] g, long t, double lr, FusedLamb o, int from, int to) {
        double b1 = o.betas().beta1();
        double b2 = o.betas().beta2();
        double[] u = new double[to - from];
        double ww = 0;
        double uu = 0;
        for (int i = from; i < to; i++) {
            s[0][i] = b1 * s[0][i] + (1 - b1) * g[i];
            s[1][i] = b2 * s[1][i] + (1 - b2) * g[i] * g[i];
            u[i - from] = s[0][i] / (Math.sqrt(s[1][i]) + o.eps()) + o.weightDecay() * p[i];
            ww += p[i] * p[i];
            uu += u[i - from] * u[i - from];
        }
        double ratio = 1;
        if (ww != 0 && uu != 0) {
            ratio = Math.min(o.coefficients().maxCoeff(), Math.max(o.coefficients().minCoeff(),
                    Math.sqrt(ww) / Math.sqrt(uu)));
        }
        double stepSize = o.biasCorrection() ? lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t)) : lr;
        for (int i = from; i < to; i++) {
            p[i] -= stepSize * ratio * u[i - from];
        }
    }

    @Test
    void eachTensorGetsItsOwnTrustRatio() {
        FusedLamb opt = FusedLamb.deepSpeedDefaults();
        int n = 1000;
        float[] p = new float[n];
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = i < 300 ? 0.01f * (i % 7 - 3) : 2f + i % 5; // two tensors of very different weight norms
            g[i] = (i % 11 - 5) / 8f;
        }
        double[] rp = new double[n];
        double[] rg = new double[n];
        for (int i = 0; i < n; i++) {
            rp[i] = p[i];
            rg[i] = g[i];
        }
        double[][] rs = new double[2][n];
        float[] m = new float[n];
        float[] v = new float[n];
        try (KernelPool pool = new KernelPool(1)) {
            opt.stepTensors(OptimizerBuffers.of(VectorStorage.of(g), VectorStorage.of(p), VectorStorage.of(m),
                    VectorStorage.of(v)), new StepArgs(1, 1e-2f, 1f), pool, List.of(new Range(0, 300),
                    new Range(300, 700)));
        }
        reference(rp, rs, rg, 1, 1e-2f, opt, 0, 300);
        reference(rp, rs, rg, 1, 1e-2f, opt, 300, 1000);
        for (int i = 0; i < n; i++) {
            assertEquals(rp[i], p[i], 1e-6 * Math.max(1, Math.abs(rp[i])), "element " + i);
        }
        assertTrue(Math.abs(p[0] - 0.01f * -3) < 0.01, "the small tensor moved by its own, small ratio");
    }

    @Test
    void trustRatioClampsAndFallsBackToOne() {
        LambCoefficients c = new LambCoefficients(10f, 0.01f);
        assertEquals(1f, c.trustRatio(0, 4));
        assertEquals(1f, c.trustRatio(4, 0));
        assertEquals(2f, c.trustRatio(16, 4)); // sqrt(16)/sqrt(4) = 2
        assertEquals(10f, c.trustRatio(1e6, 1));
        assertEquals(0.01f, c.trustRatio(1, 1e6));
    }
}
