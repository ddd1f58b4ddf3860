package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * BatchNorm's running statistics are updates, not gradients: each rank's micro-batch moves them toward its own batch
 * mean, and the engine averages those moves over ranks and micro-batches (as DDP without SyncBN would if it averaged
 * buffers). With BatchNorm as the first layer the averaged running mean after one step is
 * {@code decay * 0 + (1 - decay) * mean over micro-batches of their feature means}, which for equal micro-batches is
 * {@code (1 - decay)} times the global batch's feature mean (derived here in double; fp32 tolerance 1e-6).
 */
class BatchNormRanksTest {

    @Test
    void runningMeanIsAveragedOverRanksAndMicroBatches() {
        double decay = 0.9;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).list()
                .layer(new BatchNormalization.Builder().nIn(6).nOut(6).decay(decay).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        List<DataSet> data = TestNets.denseData(1, 12, 9);
        double[] f = data.get(0).getFeatures().dup('c').reshape(72).toDoubleVector();
        double[] want = new double[6];
        for (int i = 0; i < f.length; i++) {
            want[i % 6] += (1 - decay) * f[i] / 12;
        }
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(2)
                .withAccumulation(2)).worldSize(3).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        double[] got = net.getLayer(0).getParam("mean").reshape(6).toDoubleVector();
        for (int c = 0; c < 6; c++) {
            assertEquals(want[c], got[c], 1e-6, "running mean of feature " + c);
        }
    }
}
