package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.RankBatches;
import io.ds4j.dl4j.TestNets;
import io.ds4j.zero.stage3.ParamState;
import io.ds4j.zero.stage3.PartitionedParam;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Between steps no rank's layers reference a parameter buffer larger than the largest layer (the shared compute
 * scratch), every non-persistent parameter is SHARDED, and unsupported settings are refused naming the key.
 */
class NoFlatVectorTest {

    private static long largestLayer(Model net) {
        long m = 0;
        if (net instanceof MultiLayerNetwork n) {
            for (Layer l : n.getLayers()) {
                m = Math.max(m, l.numParams());
            }
        } else {
            for (Layer l : ((ComputationGraph) net).getLayers()) {
                m = Math.max(m, l.numParams());
            }
        }
        return m;
    }

    private static void check(Model net, Stage3Trainer t, int world) {
        assertTrue(net.numParams() > largestLayer(net), "the model has more than one layer's parameters");
        for (int r = 0; r < world; r++) {
            RankBase rank = t.rank(r);
            assertTrue(rank.largestReferencedParameterBuffer() <= largestLayer(net), "rank " + r + " references a "
                    + rank.largestReferencedParameterBuffer() + "-element buffer; Ψ = " + net.numParams());
            for (PartitionedParam p : rank.params()) {
                assertEquals(ParamState.SHARDED, p.state(), p.spec().name());
            }
        }
    }

    @Test
    void multiLayerNetworkRanksHoldNoFlatVector() {
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        List<DataSet> data = TestNets.randomData(1, 6, 1, new long[] {6}, new long[] {3});
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), 3)) {
            check(net, t, 3);
            new Stage3Steps(t, 1).fit(data.get(0));
            check(net, t, 3);
        }
    }

    @Test
    void graphRanksDropTheFlatVectorTheyWereWiredWith() {
        ComputationGraph net = Stage3GraphParityTest.attention(1);
        List<DataSet> data = TestNets.randomData(1, 6, 1, new long[] {4, 5}, new long[] {3});
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), 2)) {
            check(net, t, 2);
            new Stage3Steps(t, 1).fit(data.get(0));
            check(net, t, 2);
        }
    }

    @Test
    void gradientNormalizationIsRefusedNamingTheLayerAndFix() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().name("hidden").nIn(2).nOut(2)
                        .gradientNormalization(GradientNormalization.ClipL2PerLayer).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(2).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), 1));
        assertEquals("layer hidden gradientNormalization: ClipL2PerLayer is not supported by ZeRO stage 3 yet; use "
                + "GradientNormalization.None, or stage 0-2", e.getMessage());
    }

    /**
     * The trainer takes the product's split ({@code MicroBatches}, which gives the first micro-batches one example more
     * when a batch does not divide evenly) and refuses micro-batch lists that would let ranks step on different
     * numbers of micro-batches, naming the counts.
     */
    @Test
    void ranksGivenDifferentNumbersOfMicroBatchesAreRefused() {
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        List<DataSet> data = TestNets.randomData(1, 10, 1, new long[] {6}, new long[] {3});
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), 2)) {
            List<List<MultiDataSet>> perRank = RankBatches.perRank(data.get(0), 2, 3);
            perRank.set(1, perRank.get(1).subList(0, 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.fit(perRank, 10, 0, 0));
            assertEquals("every rank needs the same number (>= 1) of micro-batches, got [3, 2]", e.getMessage());
        }
    }
}
