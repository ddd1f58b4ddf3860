package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * SGD (momentum with dampening, or Nesterov, and weight decay), Adagrad, Lion and Lamb sections run through the
 * engine at ZeRO stages 0, 1 and 2 on one to three ranks (and Lamb inside DeepSpeed.initialize) and give the
 * parameters of their PyTorch/DeepSpeed formulas, written out here in double precision and driven by the
 * global-batch mean gradient that DL4J computes at the reference's own parameters
 * ({@link DeepSpeedOptimizerEngineTest} does the same for Adam):
 * <pre>
 *   SGD:     g += wd p;  b = g (t = 1) else mu b + (1 - damp) g;  d = nesterov ? g + mu b : b;  p -= lr d
 *   Adagrad: s += (g + wd p)^2;  p -= lr g / (sqrt(s) + eps)     (DeepSpeed's CPU Adagrad: weight decay enters the
 *            accumulator only, the numerator is the raw gradient; torch's Adagrad would use g + wd p there too)
 *   Lion:    c = b1 m + (1 - b1) g;  p *= 1 - lr wd;  p -= lr sign(c);  m = b2 m + (1 - b2) g
 * </pre>
 * Tolerance 1e-5 absolute over 5 steps: the engine computes in fp32 and sums the gradient over ranks in another
 * order (about 1e-7 relative per step); each step moves a parameter by about lr = 1e-2 (Lion: exactly lr), so a wrong
 * formula, a missed momentum or weight-decay term fails by orders of magnitude. Lion's sign is taken on values that
 * are never within 1e-6 of 0 here, so fp32 rounding cannot flip it.
 */
class OptimizerSectionsEngineTest {
    private static final int STEPS = 5;
    private static final double LR = 1e-2;

    /** One optimizer's update of the reference parameters, in double. */
    private interface Rule {
        void step(int t, double[] p, double[] g, double[][] state);
    }

    private static Rule sgd(boolean nesterov) {
        double mu = 0.9;
        double damp = nesterov ? 0 : 0.1; // torch: Nesterov needs dampening 0 (the config refuses anything else)
        double wd = 1e-3;
        return (t, p, g, s) -> {
            for (int i = 0; i < p.length; i++) {
                double gi = g[i] + wd * p[i];
                s[0][i] = t == 1 ? gi : mu * s[0][i] + (1 - damp) * gi;
                p[i] -= LR * (nesterov ? gi + mu * s[0][i] : s[0][i]);
            }
        };
    }

    private static final Rule ADAGRAD = (t, p, g, s) -> {
        double eps = 1e-10;
        double wd = 1e-3;
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + wd * p[i];
            s[0][i] += gi * gi;
            p[i] -= LR * g[i] / (Math.sqrt(s[0][i]) + eps);
        }
    };

    private static final Rule LION = (t, p, g, s) -> {
        double b1 = 0.9;
        double b2 = 0.99;
        double wd = 0.01;
        for (int i = 0; i < p.length; i++) {
            double c = b1 * s[0][i] + (1 - b1) * g[i];
            p[i] *= 1 - LR * wd;
            p[i] -= LR * Math.signum(c);
            s[0][i] = b2 * s[0][i] + (1 - b2) * g[i];
        }
    };

    /**
     * DeepSpeed's FusedLamb, per tensor (the DL4J parameters W and b of each layer, whose flat ranges {@code tensors}
     * gives): {@code m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  u = m / (sqrt(v) + eps) + wd p;
     * ratio = clamp(||p|| / ||u||, min_coeff, max_coeff) (1 if a norm is 0);
     * p -= lr sqrt(1 - b2^t) / (1 - b1^t) ratio u}. At W = 2 and 3 the shards cut tensors, so a ratio taken over a
     * shard instead of the whole tensor fails this by far more than the tolerance.
     */
    private static Rule lamb(long[][] tensors) {
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double wd = 0.01;
        return (t, p, g, s) -> {
            double[] u = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                s[0][i] = b1 * s[0][i] + (1 - b1) * g[i];
                s[1][i] = b2 * s[1][i] + (1 - b2) * g[i] * g[i];
                u[i] = s[0][i] / (Math.sqrt(s[1][i]) + eps) + wd * p[i];
            }
            double stepSize = LR * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
            for (long[] r : tensors) {
                double pp = 0;
                double uu = 0;
                for (int i = (int) r[0]; i < r[1]; i++) {
                    pp += p[i] * p[i];
                    uu += u[i] * u[i];
                }
                double ratio = pp == 0 || uu == 0 ? 1 : Math.min(10.0, Math.max(0.01, Math.sqrt(pp) / Math.sqrt(uu)));
                for (int i = (int) r[0]; i < r[1]; i++) {
                    p[i] -= stepSize * ratio * u[i];
                }
            }
        };
    }

    private static String section(String type) {
        return switch (type) {
            case "SGD" -> "{\"type\": \"SGD\", \"params\": {\"lr\": 0.01, \"momentum\": 0.9, \"dampening\": 0.1,"
                    + " \"nesterov\": false, \"weight_decay\": 0.001}}";
            case "SGD-nesterov" -> "{\"type\": \"SGD\", \"params\": {\"lr\": 0.01, \"momentum\": 0.9,"
                    + " \"nesterov\": true, \"weight_decay\": 0.001}}";
            case "Adagrad" -> "{\"type\": \"Adagrad\", \"params\": {\"lr\": 0.01, \"eps\": 1e-10,"
                    + " \"weight_decay\": 0.001}}";
            case "Lion" -> "{\"type\": \"Lion\", \"params\": {\"lr\": 0.01, \"betas\": [0.9, 0.99],"
                    + " \"weight_decay\": 0.01}}";
            case "Lamb" -> "{\"type\": \"Lamb\", \"params\": {\"lr\": 0.01, \"betas\": [0.9, 0.999], \"eps\": 1e-8,"
                    + " \"weight_decay\": 0.01, \"max_coeff\": 10.0, \"min_coeff\": 0.01}}";
            default -> throw new IllegalArgumentException(type);
        };
    }

    private static Rule rule(String type) {
        return switch (type) {
            case "SGD" -> sgd(false);
            case "SGD-nesterov" -> sgd(true);
            case "Adagrad" -> ADAGRAD;
            case "Lamb" -> lamb(tensors(TestNets.sgdMln(4, new Adam(LR))));
            default -> LION;
        };
    }

    @ParameterizedTest(name = "{0}, stage {1}, W={2}, gas={3}")
    @CsvSource({"SGD,1,3,2", "SGD-nesterov,2,2,1", "Adagrad,1,2,1", "Adagrad,2,3,2", "Lion,1,2,2", "Lion,2,3,1",
        "Lamb,0,1,1", "Lamb,0,2,1", "Lamb,1,2,2", "Lamb,2,3,1"})
    void optimizerSectionMatchesItsFormulaInDouble(String type, int stage, int w, int gas) {
        List<DataSet> data = TestNets.denseData(STEPS, 24, 23);
        String json = String.format(Locale.ROOT, "{\"train_batch_size\": 24, \"gradient_accumulation_steps\": %d,"
                + " \"zero_allow_untested_optimizer\": true, \"zero_optimization\": {\"stage\": %d},"
                + " \"optimizer\": %s}", gas, stage, section(type));
        MultiLayerNetwork net = TestNets.sgdMln(4, new Adam(LR));
        double[] start = net.params().toDoubleVector();
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(w).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        double[] want = reference(data, rule(type));
        double[] got = net.params().toDoubleVector();
        double moved = 0;
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5, type + " parameter " + i);
            moved = Math.max(moved, Math.abs(got[i] - start[i]));
        }
        assertTrue(moved > 1e-2, "training must move the parameters (max change " + moved + ")");
    }

    /** DeepSpeed's Lamb inside the user's own fit() (DeepSpeed.initialize): per-tensor ratios there too. */
    @org.junit.jupiter.api.Test
    void lambInsideFitMatchesItsFormulaInDouble() {
        List<DataSet> data = TestNets.denseData(STEPS, 24, 23);
        String json = "{\"train_batch_size\": 24, \"zero_allow_untested_optimizer\": true, \"optimizer\": "
                + section("Lamb") + "}";
        MultiLayerNetwork net = TestNets.sgdMln(4, new Adam(LR));
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, DeepSpeedConfig.parse(json))) {
            net.fit(new ExistingDataSetIterator(data));
        }
        double[] want = reference(data, rule("Lamb"));
        double[] got = net.params().toDoubleVector();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5, "Lamb inside fit(), parameter " + i);
        }
    }

    private static double[] reference(List<DataSet> data, Rule rule) {
        MultiLayerNetwork ref = TestNets.sgdMln(4, new Adam(LR));
        double[] p = ref.params().toDoubleVector();
        double[][] state = {new double[p.length], new double[p.length]};
        for (int t = 1; t <= data.size(); t++) {
            float[] f = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                f[i] = (float) p[i];
            }
            ref.setParams(Nd4j.createFromArray(f).reshape(1, p.length));
            DataSet d = data.get(t - 1);
            ref.setInput(d.getFeatures());
            ref.setLabels(d.getLabels());
            ref.computeGradientAndScore();
            double[] g = ref.gradient().gradient().toDoubleVector();
            for (int i = 0; i < g.length; i++) {
                g[i] /= d.numExamples(); // DL4J's gradient is the sum over the batch; DeepSpeed's is the mean
            }
            rule.step(t, p, g, state);
        }
        return p;
    }

    /** The flat ranges of the network's parameter tensors (one per DL4J parameter). */
    private static long[][] tensors(MultiLayerNetwork net) {
        return FlatLayout.of(net).slots().stream().map(sl -> new long[] {sl.start(), sl.end()})
                .toArray(long[][]::new);
    }
}
