package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.Ranks;
import java.time.Duration;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A rank other than 0 throwing inside its forward pass (rank 0 drives the listeners, so this is the failure the
 * listener test in {@link ZeroTrainerTest} cannot produce): every rank stops promptly (the others are waiting in a
 * collective and are aborted), {@code fit} throws naming the failing rank and the cause, and the trainer is closed.
 */
class ZeroTrainerFailureTest {

    private static final double POISON = 1e30;

    /**
     * tanh that throws on a pre-activation above 1e20, which only a poisoned example produces (also the base of
     * {@link ShardedEngineThreadsTest.RecordingTanh}).
     */
    public static class PoisonedTanh extends BaseActivationFunction {
        private static final long serialVersionUID = 1L;
        private final org.nd4j.linalg.activations.impl.ActivationTanH tanh =
                new org.nd4j.linalg.activations.impl.ActivationTanH();

        @Override
        public INDArray getActivation(INDArray in, boolean training) {
            if (in.amaxNumber().doubleValue() > 1e20) {
                throw new IllegalStateException("poisoned example reached the forward pass");
            }
            return tanh.getActivation(in, training);
        }

        @Override
        public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
            return tanh.backprop(in, epsilon);
        }

        @Override
        public String toString() {
            return "poisonedtanh";
        }
    }

    private static MultiLayerNetwork net() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).weightInit(WeightInit.ONES).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(new PoisonedTanh()).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    @ParameterizedTest(name = "stage {0}, rank {1} of 3 throws")
    @CsvSource({"2,1", "1,2", "0,2"})
    void aFailingRankOtherThanZeroStopsAllRanks(int stage, int failing) {
        List<DataSet> data = TestNets.denseData(4, 24, 9);
        // 24 examples, W = 3, gas 1: micro-batch r (rows 8r .. 8r+7) is rank r's; poison rank `failing`'s in step 2
        data.get(2).getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(8 * failing, 8 * failing + 8),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(POISON);
        MultiLayerNetwork net = net();
        ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(stage)).worldSize(3)
                .build();
        Ranks.RankFailedException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(Ranks.RankFailedException.class, () -> t.fit(new ExistingDataSetIterator(data))));
        assertEquals(failing, e.rank(), e.toString());
        assertTrue(e.getMessage().contains("rank " + failing), e.getMessage());
        assertTrue(e.getCause().getMessage().contains("poisoned example"), e.getCause().toString());
        assertEquals(2, net.getIterationCount(), "the two steps before the poisoned batch were applied");
        assertThrows(IllegalStateException.class, () -> t.fit(new ExistingDataSetIterator(data)),
                "a failed fit closes the trainer");
    }
}
