package io.ds4j.schedules;

import static io.ds4j.schedules.Golden.params;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The ND4J adapter inside DL4J: plain {@code fit()} applies update k (k = 1, 2, ...) with DeepSpeed's lr(k - 2), and
 * the schedule survives a ModelSerializer round trip.
 */
class DeepSpeedScheduleDl4jTest {
    /** Records the lr each applied SGD update used: with minibatch 1, params_after = params_before - lr * grad. */
    private static final class AppliedLr extends BaseTrainingListener {
        final List<Double> lrs = new ArrayList<>();
        final List<Integer> iterations = new ArrayList<>();
        private INDArray before;
        private INDArray grad;

        @Override
        public void onGradientCalculation(Model model) {
            before = model.params().dup();
            grad = model.gradient().gradient().dup();
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            INDArray delta = model.params().sub(before);
            double gg = grad.mul(grad).sumNumber().doubleValue();
            lrs.add(-delta.mul(grad).sumNumber().doubleValue() / gg);
            iterations.add(iteration);
        }
    }

    private static MultiLayerNetwork linearNet(IUpdater updater) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE)
                .updater(updater).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static DataSet oneExample() {
        INDArray x = Nd4j.create(new double[][] {{0.5, -1.0, 2.0}});
        INDArray y = Nd4j.create(new double[][] {{1.0, -3.0}});
        return new DataSet(x, y);
    }

    private static List<Double> fit(MultiLayerNetwork net, int updates) {
        AppliedLr listener = new AppliedLr();
        net.setListeners(listener);
        DataSet data = oneExample();
        for (int k = 0; k < updates; k++) {
            net.fit(data);
        }
        return listener.lrs;
    }

    private static void assertLr(double expected, double actual, String what) {
        // the lr is recovered from double-precision parameter deltas, so allow a little rounding
        assertTrue(Math.abs(expected - actual) <= 1e-9 * Math.abs(expected) + 1e-15,
                what + ": expected " + expected + " but was " + actual);
    }

    @Test
    void updateKUsesLrOfKMinusTwo() {
        // LRRangeTest min 0.01, size 4, rate 1 (continuous): lr(i) = 0.01 * (1 + (i + 1) / 4), strictly rising,
        // so an off-by-one shows. Update k must use lr(k - 2): 0.01, 0.0125, 0.015, ...
        LrSchedule s = Schedules.create("LRRangeTest", params("lr_range_test_min_lr", 0.01,
                "lr_range_test_step_size", 4L), 0);
        List<Double> used = fit(linearNet(new Sgd(s.toLrSchedule())), 6);
        for (int k = 1; k <= 6; k++) {
            assertLr(0.01 * (1 + (k - 1) / 4.0), used.get(k - 1), "update " + k);
        }
    }

    @Test
    void warmupCosineFirstUpdateUsesLrZero() {
        // DeepSpeed writes lr 0 before the first step, so update 1 changes nothing; update 2 uses lr(0) = 0.1 * 0.5
        LrSchedule s = Schedules.create("WarmupCosineLR", params("total_num_steps", 10L, "warmup_num_steps", 4L,
                "warmup_min_ratio", 0.5, "warmup_type", "linear"), 0.1);
        List<Double> used = fit(linearNet(new Sgd(s.toLrSchedule())), 3);
        assertEquals(0.0, used.get(0), 1e-15);
        assertLr(0.1 * 0.5, used.get(1), "update 2");
        assertLr(0.1 * (0.5 + 0.25 * 0.5), used.get(2), "update 3"); // lr(1): ratio 0.5 + (1/4) * (1 - 0.5)
    }

    @Test
    void modelSerializerRoundTripRestoresTheScheduleAndTrainingContinuesOnIt(@TempDir Path dir) throws Exception {
        LrSchedule s = Schedules.create("WarmupDecayLR", params("total_num_steps", 20L, "warmup_num_steps", 5L,
                "warmup_max_lr", 0.05, "warmup_min_lr", 0.001, "warmup_type", "linear"), Double.NaN);
        MultiLayerNetwork net = linearNet(new Sgd(s.toLrSchedule()));
        fit(net, 3);
        File file = dir.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        assertTrue(net.getLayerWiseConfigurations().toJson().contains(DeepSpeedSchedule.class.getName()));

        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        IUpdater updater = ((BaseLayer) restored.getLayer(0).conf().getLayer()).getIUpdater();
        ISchedule schedule = assertInstanceOf(Sgd.class, updater).getLearningRateSchedule();
        DeepSpeedSchedule adapter = assertInstanceOf(DeepSpeedSchedule.class, schedule);
        assertEquals(s, adapter.schedule());
        for (int i = 0; i < 30; i++) {
            assertEquals(s.toLrSchedule().valueAt(i, 0), schedule.valueAt(i, 0), "valueAt(" + i + ")");
        }
        // the restored network resumes at iteration 3: its updates 4 and 5 use lr(2) and lr(3)
        assertEquals(3, restored.getIterationCount());
        List<Double> used = fit(restored, 2);
        assertLr(0.001 + (0.05 - 0.001) * 2 / 5, used.get(0), "update 4");
        assertLr(0.001 + (0.05 - 0.001) * 3 / 5, used.get(1), "update 5");
    }

    @Test
    void oneCycleMomentumDrivesNesterovsAndSerializes(@TempDir Path dir) throws Exception {
        LrSchedule s = Schedules.create("OneCycle", params("cycle_min_lr", 0.01, "cycle_max_lr", 0.1,
                "cycle_first_step_size", 4L), 0);
        Nesterovs nesterovs = new Nesterovs(s.toLrSchedule(), s.toMomentumSchedule());
        // DL4J iteration i reads DeepSpeed iteration i - 1: 0 -> cycle_min_mom, 1 -> 0.9 - 0.1 * (1/4)
        assertEquals(0.8, nesterovs.currentMomentum(0, 0), 0);
        assertEquals(0.9 - 0.1 * 0.25, nesterovs.currentMomentum(1, 0), 1e-15);
        assertEquals(0.01, nesterovs.getLearningRate(0, 0), 0);
        MultiLayerNetwork net = linearNet(nesterovs);
        fit(net, 2);
        File file = dir.resolve("nesterovs.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        Nesterovs back = assertInstanceOf(Nesterovs.class,
                ((BaseLayer) restored.getLayer(0).conf().getLayer()).getIUpdater());
        assertEquals(nesterovs.getMomentumISchedule(), back.getMomentumISchedule());
        assertEquals(nesterovs.getLearningRateSchedule(), back.getLearningRateSchedule());
        assertEquals(0.9 - 0.1 * 0.75, back.currentMomentum(3, 0), 1e-15);
    }

    @Test
    void computationGraphFitsAndRoundTripsToo(@TempDir Path dir) throws Exception {
        // WarmupLR linear, min 0.02, max 0.1, W 4: lr(i) = 0.02 + 0.08 * i / 4; update k uses lr(k - 2)
        LrSchedule s = Schedules.create("WarmupLR", params("warmup_min_lr", 0.02, "warmup_max_lr", 0.1,
                "warmup_num_steps", 4L, "warmup_type", "linear"), Double.NaN);
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.DOUBLE).updater(new Sgd(s.toLrSchedule())).graphBuilder().addInputs("in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2)
                        .activation(Activation.IDENTITY).build(), "in")
                .setOutputs("out").build());
        graph.init();
        AppliedLr listener = new AppliedLr();
        graph.setListeners(listener);
        for (int k = 0; k < 4; k++) {
            graph.fit(oneExample());
        }
        double[] expected = {0.02, 0.02, 0.02 + 0.08 / 4, 0.02 + 0.08 * 2 / 4};   // lr(-1), lr(0), lr(1), lr(2)
        for (int k = 0; k < 4; k++) {
            assertLr(expected[k], listener.lrs.get(k), "graph update " + (k + 1));
        }
        File file = dir.resolve("graph.zip").toFile();
        ModelSerializer.writeModel(graph, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        IUpdater updater = ((BaseLayer) restored.getLayer("out").conf().getLayer()).getIUpdater();
        assertEquals(s.toLrSchedule(), assertInstanceOf(Sgd.class, updater).getLearningRateSchedule());
    }

    @Test
    void javaSerializationAndMomentumWithoutCycleMomentum() throws Exception {
        LrSchedule s = Schedules.create("WarmupLR", params("warmup_num_steps", 3L), 0.2);
        ISchedule adapter = s.toLrSchedule();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(adapter);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(adapter, in.readObject());
        }
        assertEquals(adapter, adapter.clone());
        assertThrows(UnsupportedOperationException.class, s::toMomentumSchedule);
    }
}
