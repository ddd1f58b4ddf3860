package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import java.util.List;
import java.util.Locale;
import java.util.function.IntToDoubleFunction;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * With an {@code optimizer} section the engine's math is DeepSpeed's. Reference: DeepSpeed's Adam with
 * {@code adam_w_mode} (its default for type "Adam") written out here in double precision, driven by the mean gradient
 * of the global batch that DL4J computes at the reference's own parameters, with DeepSpeed's clip factor
 * {@code 1 / max(1, (|g| + 1e-6) / clip)}:
 * <pre>
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr wd p;  p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * Tolerance: the engine runs in fp32 and sums the gradient in another order; over 5 steps with lr 1e-2 the
 * difference stays below 1e-5 absolute (each step moves a parameter by about lr = 1e-2, so a wrong formula, bias
 * correction or clip factor fails by orders of magnitude).
 */
class DeepSpeedOptimizerEngineTest {

    private static final int STEPS = 5;
    private static final double LR = 1e-2;
    private static final double B1 = 0.9;
    private static final double B2 = 0.999;
    private static final double EPS = 1e-8;
    private static final double WD = 0.01;

    @ParameterizedTest(name = "stage {0}, W={1}, gas={2}, clip={3}")
    @CsvSource({"0,2,1,0", "1,3,2,0.05", "2,2,1,0.05", "2,3,4,0"})
    void adamMatchesDeepSpeedsFormulaInDouble(int stage, int w, int gas, double clip) {
        List<DataSet> data = TestNets.denseData(STEPS, 24, 17);
        String json = String.format(Locale.ROOT, "{\"train_batch_size\": 24, \"gradient_accumulation_steps\": %d,"
                + " \"gradient_clipping\": %s, \"zero_optimization\": {\"stage\": %d}, \"optimizer\": {\"type\":"
                + " \"Adam\", \"params\": {\"lr\": \"auto\", \"betas\": [%s, %s], \"eps\": %s, \"weight_decay\": %s}}}",
                gas, clip, stage, B1, B2, EPS, WD);
        MultiLayerNetwork net = TestNets.sgdMln(4, new Adam(LR)); // "lr": "auto" reads 1e-2 from this updater
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(w).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        double[] want = reference(data, clip, t -> LR);
        double[] got = net.params().toDoubleVector();
        double[] start = TestNets.sgdMln(4, new Adam(LR)).params().toDoubleVector();
        double moved = 0;
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5, "parameter " + i);
            moved = Math.max(moved, Math.abs(got[i] - start[i]));
        }
        assertTrue(moved > 2e-2, "training must move the parameters (max change " + moved + ")");
    }

    /** World size 1 inside the user's own fit(): the same DeepSpeed Adam, with clipping, against the reference. */
    @Test
    void initializeRunsTheFusedOptimizerInsideFit() {
        List<DataSet> data = TestNets.denseData(STEPS, 24, 19);
        String json = String.format(Locale.ROOT, "{\"train_batch_size\": 24, \"gradient_clipping\": 0.05,"
                + " \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": %s, \"betas\": [%s, %s],"
                + " \"eps\": %s, \"weight_decay\": %s}}}", LR, B1, B2, EPS, WD);
        MultiLayerNetwork net = TestNets.sgdMln(4, new Adam(LR));
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, DeepSpeedConfig.parse(json))) {
            net.fit(new ExistingDataSetIterator(data));
            assertEquals(STEPS, e.steps());
        }
        double[] want = reference(data, 0.05, t -> LR);
        double[] got = net.params().toDoubleVector();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5, "parameter " + i);
        }
    }

    /**
     * With a {@code WarmupLR} scheduler (linear, 0 to 2e-2 over 3 steps) the t-th update (t from 1) uses DeepSpeed's
     * lr at scheduler iteration t - 2: the value written at construction (warmup_min_lr) for t = 1, then
     * {@code min + (max - min) * (t - 2) / 3} while {@code t - 2 < 3}, then max.
     */
    @Test
    void warmupScheduleDrivesTheFusedOptimizer() {
        List<DataSet> data = TestNets.denseData(STEPS, 24, 18);
        String json = "{\"train_batch_size\": 24, \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": 1},"
                + " \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01, \"weight_decay\": 0.01}},"
                + " \"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0,"
                + " \"warmup_max_lr\": 0.02, \"warmup_num_steps\": 3, \"warmup_type\": \"linear\"}}}";
        MultiLayerNetwork net = TestNets.sgdMln(4, new Adam(LR));
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(2).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        double[] want = reference(data, 0, t -> t == 1 ? 0.0 : t - 2 < 3 ? 0.02 * (t - 2) / 3.0 : 0.02);
        double[] got = net.params().toDoubleVector();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5, "parameter " + i);
        }
    }

    private static double[] reference(List<DataSet> data, double clip, IntToDoubleFunction lrAt) {
        MultiLayerNetwork ref = TestNets.sgdMln(4, new Adam(LR));
        double[] p = ref.params().toDoubleVector();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        for (int t = 1; t <= data.size(); t++) {
            ref.setParams(Nd4j.createFromArray(toFloat(p)).reshape(1, p.length));
            DataSet d = data.get(t - 1);
            ref.setInput(d.getFeatures());
            ref.setLabels(d.getLabels());
            ref.computeGradientAndScore();
            double[] g = ref.gradient().gradient().toDoubleVector();
            double norm = 0;
            for (int i = 0; i < g.length; i++) {
                g[i] /= d.numExamples();
                norm += g[i] * g[i];
            }
            norm = Math.sqrt(norm);
            double c = clip > 0 ? 1.0 / Math.max(1.0, (norm + 1e-6) / clip) : 1.0;
            double lr = lrAt.applyAsDouble(t);
            for (int i = 0; i < p.length; i++) {
                double gi = g[i] * c;
                m[i] = B1 * m[i] + (1 - B1) * gi;
                v[i] = B2 * v[i] + (1 - B2) * gi * gi;
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(B2, t)) + EPS;
                p[i] -= lr * WD * p[i];
                p[i] -= lr / (1 - Math.pow(B1, t)) * m[i] / denom;
            }
        }
        return p;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** DL4J layer regularization would be silently dropped by a DeepSpeed optimizer: refused, naming the fix. */
    @Test
    void dl4jRegularizationWithAnOptimizerSectionIsRefused() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Adam\","
                + " \"params\": {\"lr\": 0.001}}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZeroTrainer.builder(TestNets.denseMln(1)).config(cfg).worldSize(2).build());
        assertTrue(e.getMessage().contains("regularization") && e.getMessage().contains("weight_decay"),
                e.getMessage());
    }
}
