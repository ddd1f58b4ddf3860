package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * World size 1: with ds4j's updater installed, the user's own {@code fit()} trains exactly as DL4J does. The step
 * runs the same ND4J operations in the same order on the same arrays, so parameters must be bit-identical after 20
 * updates (tolerance 0), including per-layer updaters, l2, weight decay and ClipL2PerLayer normalization.
 */
class DeepSpeedInitializeTest {

    private static final int STEPS = 20;

    @Test
    void denseMultiLayerNetworkIsBitIdentical() {
        List<DataSet> data = TestNets.denseData(STEPS, 8, 11);
        assertBitIdentical(TestNets.denseMln(7), TestNets.denseMln(7), data);
    }

    @Test
    void convolutionGraphIsBitIdentical() {
        List<DataSet> data = TestNets.imageData(STEPS, 6, 12);
        assertBitIdentical(TestNets.convGraph(8), TestNets.convGraph(8), data);
    }

    @Test
    void lstmGraphIsBitIdentical() {
        List<DataSet> data = TestNets.sequenceData(STEPS, 5, 13);
        assertBitIdentical(TestNets.lstmGraph(9), TestNets.lstmGraph(9), data);
    }

    @Test
    void attentionGraphIsBitIdentical() {
        List<DataSet> data = TestNets.sequenceClassData(STEPS, 5, 14);
        assertBitIdentical(TestNets.attentionGraph(10), TestNets.attentionGraph(10), data);
    }

    private static void assertBitIdentical(Model plain, Model ds, List<DataSet> data) {
        assertArrayEquals(plain.params().toFloatVector(), ds.params().toFloatVector());
        fit(plain, data);
        try (DeepSpeedEngine engine = DeepSpeed.initialize(ds, EngineOptions.defaults())) {
            fit(ds, data);
            assertEquals(STEPS, engine.steps(), "every minibatch ran ds4j's step");
        }
        assertArrayEquals(plain.params().toFloatVector(), ds.params().toFloatVector());
        assertArrayEquals(updaterState(plain), updaterState(ds));
    }

    private static void fit(Model net, List<DataSet> data) {
        if (net instanceof MultiLayerNetwork m) {
            m.fit(new ExistingDataSetIterator(data));
        } else {
            ((ComputationGraph) net).fit(new ExistingDataSetIterator(data));
        }
    }

    private static float[] updaterState(Model net) {
        INDArray s = net instanceof MultiLayerNetwork m ? m.getUpdater().getStateViewArray()
                : ((ComputationGraph) net).getUpdater().getStateViewArray();
        return s.toFloatVector();
    }

    /**
     * Golden clipping step: with Sgd(lr) the update is {@code lr * g * 1/max(1, (|g| + 1e-6) / c)} where g is the
     * minibatch-mean gradient (DeepSpeed's formula), computed here from DL4J's summed gradient divided by the batch.
     */
    @Test
    void clippingFollowsDeepSpeedsFormula() {
        double lr = 0.5;
        double clip = 0.05;
        MultiLayerNetwork ref = TestNets.sgdMln(3, new Sgd(lr));
        MultiLayerNetwork ds = TestNets.sgdMln(3, new Sgd(lr));
        DataSet batch = TestNets.denseData(1, 8, 5).get(0);
        ref.setInput(batch.getFeatures());
        ref.setLabels(batch.getLabels());
        ref.computeGradientAndScore();
        double[] g = ref.gradient().gradient().toDoubleVector();
        double[] p0 = ref.params().toDoubleVector();
        double norm = 0;
        for (int i = 0; i < g.length; i++) {
            g[i] /= 8;
            norm += g[i] * g[i];
        }
        norm = Math.sqrt(norm);
        double factor = 1.0 / Math.max(1.0, (norm + 1e-6) / clip);
        assertTrue(factor < 0.5, "the test must actually clip; factor " + factor);
        try (DeepSpeedEngine engine = DeepSpeed.initialize(ds, EngineOptions.defaults().withClipping(clip))) {
            ds.fit(batch);
            assertEquals(norm, engine.lastGradientNorm(), 1e-5 * norm);
        }
        double[] p1 = ds.params().toDoubleVector();
        for (int i = 0; i < g.length; i++) {
            // fp32 gradient and parameters: relative error of a few ulps of the step and of the parameter
            assertEquals(p0[i] - lr * factor * g[i], p1[i], 1e-6 + 1e-5 * Math.abs(lr * factor * g[i]), "param " + i);
        }
    }

    @Test
    void closeRestoresPlainDl4jUpdaterKeepingState() {
        MultiLayerNetwork net = TestNets.denseMln(4);
        DeepSpeedEngine engine = DeepSpeed.initialize(net, EngineOptions.defaults());
        net.fit(TestNets.denseData(1, 4, 2).get(0));
        float[] state = net.getUpdater().getStateViewArray().toFloatVector();
        engine.close();
        assertInstanceOf(MultiLayerUpdater.class, net.getUpdater());
        assertEquals(MultiLayerUpdater.class, net.getUpdater().getClass());
        assertArrayEquals(state, net.getUpdater().getStateViewArray().toFloatVector());
        assertThrows(IllegalStateException.class, engine::steps);
    }

    @Test
    void accumulationInsideFitIsRejectedWithTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeepSpeed.initialize(TestNets.denseMln(1), EngineOptions.defaults().withAccumulation(4)));
        assertTrue(e.getMessage().contains("gradient_accumulation_steps: 4"), e.getMessage());
        assertTrue(e.getMessage().contains("ZeroTrainer"), e.getMessage());
    }
}
