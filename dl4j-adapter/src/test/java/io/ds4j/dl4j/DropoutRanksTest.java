package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Dropout masks of the ranks ({@link RankRandom}): a run is reproducible from the calling thread's ND4J seed, as
 * plain {@code fit()} is from {@code net.init()}'s, and the ranks draw from different streams.
 */
class DropoutRanksTest {

    static MultiLayerNetwork net() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Adam(0.01)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(16).activation(Activation.TANH).dropOut(0.5).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(3).dropOut(0.8)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    static float[] train(int stage) {
        List<DataSet> data = TestNets.denseData(4, 8, 17);
        MultiLayerNetwork n = net();
        Nd4j.getRandom().setSeed(123);
        try (ZeroTrainer t = ZeroTrainer.builder(n).config(EngineOptions.defaults().withStage(stage)).worldSize(2)
                .build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        return n.params().toFloatVector();
    }

    /** Before RankRandom each rank thread's generator was seeded from the wall clock: two runs differed. */
    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {0, 2, 3})
    void trainingWithDropoutIsReproducibleFromTheSeed(int stage) throws InterruptedException {
        float[] first = train(stage);
        Thread.sleep(5); // a wall-clock seed would now differ
        assertArrayEquals(first, train(stage));
    }

    @Test
    void ranksDrawFromDifferentStreams() {
        long base = 77;
        long[] draws = new long[2];
        for (int rank = 0; rank < 2; rank++) {
            RankRandom.seedThisThread(base, rank);
            draws[rank] = Nd4j.getRandom().nextLong();
        }
        assertNotEquals(draws[0], draws[1]);
    }
}
