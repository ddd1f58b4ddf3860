package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.data.OptDigits;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Real data: a ComputationGraph on the shipped optdigits set, two epochs of 64-example global batches, trained by
 * {@link ZeroTrainer} with 2 ranks at stage 2 and by plain {@code fit()}. The loss curves (the score listeners see at
 * every step) agree within 1e-4 relative, and the loss actually falls. The last batch of each epoch (29 examples) is
 * smaller than the others, which exercises uneven micro-batches.
 */
class OptDigitsLossCurveTest {

    @Test
    void twoRanksFollowThePlainLossCurve() {
        DataSet train = OptDigits.split(1437, 7)[0];
        ComputationGraph reference = graph();
        ZeroTrainerTest.Recorder want = new ZeroTrainerTest.Recorder();
        reference.setListeners(want);
        reference.fit(OptDigits.iterator(train, 64, 3), 2);
        ComputationGraph net = graph();
        ZeroTrainerTest.Recorder got = new ZeroTrainerTest.Recorder();
        net.setListeners(got);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(2)).worldSize(2)
                .build()) {
            t.fit(OptDigits.iterator(train, 64, 3), 2);
        }
        assertEquals(want.iterations, got.iterations);
        for (int i = 0; i < want.scores.size(); i++) {
            assertEquals(want.scores.get(i), got.scores.get(i), 1e-4 * want.scores.get(i), "loss at step " + i);
        }
        double first = got.scores.get(0);
        double last = got.scores.get(got.scores.size() - 1);
        assertTrue(last < 0.5 * first, "the loss must fall: " + first + " -> " + last);
    }

    private static ComputationGraph graph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).graphBuilder().addInputs("pixels")
                .addLayer("hidden", new DenseLayer.Builder().nIn(OptDigits.FEATURES).nOut(32)
                        .activation(Activation.RELU).build(), "pixels")
                .addLayer("digit", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(32)
                        .nOut(OptDigits.CLASSES).activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("digit").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }
}
