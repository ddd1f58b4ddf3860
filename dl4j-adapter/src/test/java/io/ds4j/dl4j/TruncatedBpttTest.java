package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.Ranks;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Truncated BPTT ({@code BackpropType.TruncatedBPTT}, as the zoo's {@code TextGenerationLSTM} sets with forward length
 * 50): DL4J's {@code fit()} cuts longer sequences into segments, one update each, which ZeRO's one update per global
 * batch is not, so such a batch is refused by name; a batch of at most the forward length is one segment from a
 * cleared RNN state, which the engine must match even when the user's network holds {@code rnnTimeStep} state.
 *
 * <p>Tolerance of the parity case: {@code 1e-6 + 1e-5 |p|}, {@link ZeroTrainerParityTest}'s bound for the same
 * reordering of the per-example gradient sum (2 ranks of 4 examples instead of one batch of 8).
 */
class TruncatedBpttTest {

    private static final int FORWARD = 5;

    static MultiLayerNetwork net() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT)
                .updater(new RmsProp(0.01)).l2(1e-3).weightInit(WeightInit.XAVIER).list()
                .layer(new GravesLSTM.Builder().nIn(4).nOut(6).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(FORWARD).tBPTTBackwardLength(FORWARD)
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {0, 3})
    void batchThatFitWouldCutIntoSegmentsIsRefusedByName(int stage) {
        List<DataSet> data = TestNets.sequenceData(2, 8, 3); // T = 7 > 5: fit() makes two updates per batch
        try (ZeroTrainer t = ZeroTrainer.builder(net()).config(EngineOptions.defaults().withStage(stage)).worldSize(2)
                .build()) {
            // stages 0-2 read the batch on a rank thread (the rank's failure carries it), stage 3 on the caller's
            RuntimeException e = assertThrows(RuntimeException.class, () -> t.fit(new ExistingDataSetIterator(data)));
            Throwable cause = e instanceof Ranks.RankFailedException ? e.getCause() : e;
            assertTrue(cause instanceof IllegalArgumentException, String.valueOf(cause));
            String m = cause.getMessage();
            assertTrue(m.contains("backpropType: TruncatedBPTT with tBPTTForwardLength 5") && m.contains("7 time steps")
                    && m.contains("2 segments") && m.contains("GravesLSTM"), m);
        }
    }

    /** rnnTimeStep state left in the user's network (rank 0's replica) must not leak into training, as in fit(). */
    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {0, 1, 2, 3})
    void oneSegmentMatchesFitEvenAfterRnnTimeStep(int stage) {
        List<DataSet> data = TestNets.sequenceData(4, 8, 5);
        List<DataSet> shortSeq = new java.util.ArrayList<>();
        for (DataSet d : data) { // T = 5: one segment
            shortSeq.add(new DataSet(d.getFeatures().get(all(), all(), interval(0, FORWARD)).dup(),
                    d.getLabels().get(all(), all(), interval(0, FORWARD)).dup()));
        }
        MultiLayerNetwork reference = net();
        reference.rnnTimeStep(shortSeq.get(0).getFeatures().get(interval(0, 4), all(), all()));
        reference.fit(new ExistingDataSetIterator(shortSeq)); // fit() clears the stored state first
        MultiLayerNetwork trained = net();
        trained.rnnTimeStep(shortSeq.get(0).getFeatures().get(interval(0, 4), all(), all()));
        try (ZeroTrainer t = ZeroTrainer.builder(trained).config(EngineOptions.defaults().withStage(stage))
                .worldSize(2).build()) {
            t.fit(new ExistingDataSetIterator(shortSeq));
        }
        float[] want = reference.params().toFloatVector();
        float[] got = trained.params().toFloatVector();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-6 + 1e-5 * Math.abs(want[i]), "parameter " + i);
        }
    }

    private static org.nd4j.linalg.indexing.INDArrayIndex all() {
        return org.nd4j.linalg.indexing.NDArrayIndex.all();
    }

    private static org.nd4j.linalg.indexing.INDArrayIndex interval(long from, long to) {
        return org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to);
    }
}
