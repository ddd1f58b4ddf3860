package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.Ranks;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The rank threads of stages 0-2 ({@link ShardedEngine}) live as long as the trainer: the facade hands them one step
 * at a time, yet every forward pass of every step, epoch and {@code fit} runs on the same one thread per rank, the
 * listeners run on rank 0's, and the threads end when the trainer closes, also after a rank failed.
 */
class ShardedEngineThreadsTest {

    /** The threads that ran a forward pass of the network under test (replicas clone the activation). */
    static final Set<Thread> FORWARD = ConcurrentHashMap.newKeySet();

    /** {@link ZeroTrainerFailureTest.PoisonedTanh} that also records the thread of each forward pass. */
    public static final class RecordingTanh extends ZeroTrainerFailureTest.PoisonedTanh {
        private static final long serialVersionUID = 1L;

        @Override
        public INDArray getActivation(INDArray in, boolean training) {
            FORWARD.add(Thread.currentThread());
            return super.getActivation(in, training);
        }

        @Override
        public String toString() {
            return "recordingtanh";
        }
    }

    private static MultiLayerNetwork net() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(new RecordingTanh()).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {0, 1, 2})
    void oneThreadPerRankForEveryStepEpochAndFitThenNone(int stage) {
        FORWARD.clear();
        Set<Thread> listening = ConcurrentHashMap.newKeySet();
        MultiLayerNetwork net = net();
        net.setListeners(new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                listening.add(Thread.currentThread());
            }
        });
        List<DataSet> data = TestNets.denseData(3, 12, 4);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(stage)).worldSize(3)
                .build()) {
            t.fit(new ExistingDataSetIterator(data), 2);
            t.fit(new ExistingDataSetIterator(data));
        }
        assertEquals(9, net.getIterationCount(), "3 epochs of 3 steps");
        assertEquals(3, FORWARD.size(), "one thread per rank for all 9 steps: " + FORWARD);
        assertEquals(1, listening.size(), "listeners on one thread: " + listening);
        Thread listener = listening.iterator().next();
        assertEquals("ds4j-rank-0", listener.getName());
        assertTrue(FORWARD.contains(listener), "the listeners run on rank 0's thread");
        for (Thread th : FORWARD) {
            assertFalse(th.isAlive(), th.getName() + " still runs after close");
        }
    }

    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {0, 2})
    void aRankThatThrowsFailsTheStepAndTheThreadsEnd(int stage) {
        FORWARD.clear();
        List<DataSet> data = TestNets.denseData(4, 12, 9);
        // 12 examples, W = 3: micro-batch r (rows 4r .. 4r+3) is rank r's; poison rank 1's in step 3
        data.get(2).getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(1e30);
        MultiLayerNetwork net = net();
        ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(stage)).worldSize(3)
                .build();
        Ranks.RankFailedException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(Ranks.RankFailedException.class, () -> t.fit(new ExistingDataSetIterator(data))));
        assertEquals(1, e.rank(), e.toString());
        assertTrue(e.getCause().getMessage().contains("poisoned example"), e.getCause().toString());
        assertEquals(2, net.getIterationCount(), "the two steps before the poisoned batch were applied");
        assertEquals(3, FORWARD.size(), "one thread per rank: " + FORWARD);
        for (Thread th : FORWARD) {
            assertFalse(th.isAlive(), th.getName() + " still runs after the failed fit closed the trainer");
        }
    }
}
