package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Frozen parameters (DL4J's {@code FrozenLayer}, {@code FrozenLayerWithBackprop} and {@code FrozenVertex}, all of
 * which give their parameters DL4J's NoOp updater) stay where they are under a DeepSpeed {@code optimizer} section, as
 * parameters without {@code requires_grad} stay out of DeepSpeed's optimizer. AdamW with {@code weight_decay} 0.1 and
 * lr 1e-2 moves every trained parameter by about 1e-3 per step, so a frozen parameter that takes part in the step
 * fails the bit-exact check by far. The trained parameters agree across stages (the engine's parity), and they moved.
 */
class FrozenLayerOptimizerTest {
    private static final int STEPS = 4;
    private static final int W = 2;

    private static String config(int stage, String offload) {
        return String.format(Locale.ROOT, "{\"train_batch_size\": 24, \"gradient_clipping\": 1.0,"
                + " \"zero_optimization\": {\"stage\": %d%s}, \"optimizer\": {\"type\": \"AdamW\", \"params\":"
                + " {\"lr\": 1e-2, \"weight_decay\": 0.1}}}", stage, offload);
    }

    /** sgdMln with its first dense layer wrapped in a FrozenLayer by DL4J's transfer learning. */
    private static MultiLayerNetwork frozenFirst() {
        return new TransferLearning.Builder(TestNets.sgdMln(4, new Adam(1e-2))).setFeatureExtractor(0).build();
    }

    private static double[] train(Model net, int stage, int world) {
        return train(net, config(stage, ""), world);
    }

    private static double[] train(Model net, String json, int world) {
        List<DataSet> data = TestNets.denseData(STEPS, 24, 5);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(world).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        return net.params().toDoubleVector();
    }

    /** Lamb's per-tensor trust ratio: the frozen tensors have no piece, at stage 1 (split tensors) and stage 3. */
    @ParameterizedTest(name = "Lamb, stage {0}")
    @ValueSource(ints = {1, 3})
    void lambLeavesFrozenTensorsOut(int stage) {
        String lamb = config(stage, "").replace("\"AdamW\"", "\"Lamb\"")
                .replace("{\"train_batch_size\": 24,",
                        "{\"train_batch_size\": 24, \"zero_allow_untested_optimizer\": true,");
        long frozen = frozenFirst().getLayer(0).numParams();
        double[] start = frozenFirst().params().toDoubleVector();
        assertFrozenAndTrained(start, train(frozenFirst(), lamb, W),
                train(frozenFirst(), lamb.replace("\"stage\": " + stage, "\"stage\": 0"), 1), 0, frozen);
    }

    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {0, 1, 2, 3})
    void frozenLayerIsBitUnchangedAndTheRestTrainsAsAtStageZero(int stage) {
        long frozen = frozenFirst().getLayer(0).numParams();
        double[] start = frozenFirst().params().toDoubleVector();
        double[] got = train(frozenFirst(), stage, W);
        double[] stage0 = train(frozenFirst(), 0, 1);
        assertFrozenAndTrained(start, got, stage0, 0, frozen);
    }

    @Test
    void initializeSkipsFrozenParametersInsideFit() {
        MultiLayerNetwork net = frozenFirst();
        long frozen = net.getLayer(0).numParams();
        double[] start = net.params().toDoubleVector();
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, DeepSpeedConfig.parse(config(0, "")))) {
            net.fit(new ExistingDataSetIterator(TestNets.denseData(STEPS, 24, 5)));
        }
        assertFrozenAndTrained(start, net.params().toDoubleVector(), train(frozenFirst(), 0, 1), 0, frozen);
    }

    @Test
    void frozenLayerWithBackpropIsUnchanged() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(7).activation(Activation.TANH).build())
                .layer(new FrozenLayerWithBackprop(new DenseLayer.Builder().nIn(7).nOut(5)
                        .activation(Activation.TANH).build()))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        long from = net.getLayer(0).numParams();
        long to = from + net.getLayer(1).numParams();
        double[] start = net.params().toDoubleVector();
        MultiLayerNetwork again = new MultiLayerNetwork(conf.clone());
        again.init();
        double[] stage0 = train(again, 0, 1);
        assertFrozenAndTrained(start, train(net, 2, W), stage0, from, to);
    }

    @Test
    void frozenVertexIsUnchangedAtStageThree() {
        ComputationGraph g = frozenGraph();
        long frozen = g.getLayer("d0").numParams();
        double[] start = g.params().toDoubleVector();
        assertFrozenAndTrained(start, train(g, 3, W), train(frozenGraph(), 0, 1), 0, frozen);
    }

    /** A dense graph whose first layer DL4J's transfer learning wraps in a FrozenVertex. */
    private static ComputationGraph frozenGraph() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(8)
                .dataType(DataType.FLOAT).updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("d0", new DenseLayer.Builder().nIn(6).nOut(7).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(7).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "d0")
                .setOutputs("out").build());
        g.init();
        return new TransferLearning.GraphBuilder(g).setFeatureExtractor("d0").build();
    }

    @Test
    void offloadedOptimizerRefusesFrozenLayersNamingTheLayer() {
        MultiLayerNetwork net = frozenFirst();
        DeepSpeedConfig c = DeepSpeedConfig.parse(config(2, ", \"offload_optimizer\": {\"device\": \"cpu\"}"));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> ZeroTrainer.builder(net).config(c).worldSize(W).build().close());
        assertTrue(e instanceof DeepSpeedConfigException || e instanceof IllegalArgumentException, e.toString());
        assertTrue(e.getMessage().contains("offload_optimizer") && e.getMessage().contains("is frozen"),
                e.getMessage());
    }

    /** {@code [from, to)} bit-equal to the start; everything else equal to stage 0 (1e-5) and moved. */
    private static void assertFrozenAndTrained(double[] start, double[] got, double[] stage0, long from, long to) {
        double[] frozenStart = java.util.Arrays.copyOfRange(start, (int) from, (int) to);
        assertArrayEquals(frozenStart, java.util.Arrays.copyOfRange(got, (int) from, (int) to),
                "frozen parameters must not move");
        double moved = 0;
        for (int i = 0; i < got.length; i++) {
            if (i < from || i >= to) {
                assertEquals(stage0[i], got[i], 1e-5, "trained parameter " + i);
                moved = Math.max(moved, Math.abs(got[i] - start[i]));
            }
        }
        assertTrue(moved > 1e-2, "the other parameters must train (max change " + moved + ")");
    }
}
