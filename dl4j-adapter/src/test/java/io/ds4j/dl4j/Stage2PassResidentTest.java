package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.bench.ProcStatus;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroBucketConfig;
import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Stage 2's layer-by-layer pass frees what its layers create (activations, their gradients, working memory) when it
 * ends, so training more steps does not make the process larger. Measured as the process's resident bytes (VmRSS)
 * before and after 8 more steps of a trainer that already took 3.
 *
 * <p>Each pass here makes about 21 MiB of such arrays per rank (4 layers 512 wide, 512 examples per rank). Without
 * workspaces each was a fresh native buffer that ND4J frees only when the collector finds the array unreachable, and
 * a pass allocates about 1 MB of Java heap, so collections are rare: the 8 steps made the process 93 and 133 MiB
 * larger (two runs, measured). Freeing the arrays made through the pass's workspace manager ({@code PassArrays})
 * left ND4J's own temporaries (matrix products' results, 8.4 MiB per rank per pass here: the ledger's OTHER entry,
 * the workspace that now takes them): 84 and 52 MiB. With both, 18 and 17 MiB (two runs: the steps' Java heap, the
 * micro-batches' copies). The bound, 32 MiB, is below one step's arrays of the two ranks (42 MiB).
 */
class Stage2PassResidentTest {
    private static final int WIDTH = 512;
    private static final int PER_RANK = 512;
    private static final int RANKS = 2;
    private static final long BOUND = 32L << 20;

    @Test
    void moreStepsAddNoResidentActivations() {
        Assumptions.assumeTrue(ProcStatus.rssBytes() > 0, "needs /proc/self/status");
        ZeroConfig zero = new ZeroConfig(2, new ZeroBucketConfig(true, true, 100_000, true, true, 100_000, false),
                ZeroStage3Config.defaults(), OffloadOptimizerConfig.none(), OffloadParamConfig.none(), Map.of());
        try (ZeroTrainer t = ZeroTrainer.builder(net()).config(EngineOptions.defaults().withZero(zero))
                .worldSize(RANKS).build()) {
            steps(t, 3, 1); // the workspace learns its size; classes, kernels and malloc's arenas warm up
            long before = ProcStatus.rssBytes();
            steps(t, 8, 2);
            long grown = ProcStatus.rssBytes() - before;
            long workspace = 0;
            for (LedgerSnapshot s : t.memoryReport()) {
                workspace += s.peakBytes(MemoryCategory.OTHER, MemoryTier.DEVICE);
            }
            assertTrue(workspace > 0, "the ranks' pass workspaces are in the ledger");

            assertTrue(grown < BOUND, "8 more stage-2 steps made the process " + (grown >> 20) + " MiB larger; the"
                    + " ranks' pass workspaces hold " + (workspace >> 20) + " MiB, bound " + (BOUND >> 20) + " MiB");
        }
    }

    /** {@code n} steps of {@code PER_RANK} examples per rank (one fit each: a fit's batches make one step). */
    private static void steps(ZeroTrainer t, int n, long seed) {
        for (DataSet d : TestNets.data(n, seed, r -> new long[] {(long) PER_RANK * RANKS, 64},
                new long[] {(long) PER_RANK * RANKS, 3})) {
            t.fit(new ListDataSetIterator<>(List.of(d), PER_RANK * RANKS));
        }
    }

    private static MultiLayerNetwork net() {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(64).nOut(WIDTH).activation(Activation.TANH).build());
        for (int i = 0; i < 3; i++) {
            b.layer(new DenseLayer.Builder().nIn(WIDTH).nOut(WIDTH).activation(Activation.TANH).build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(b.layer(new OutputLayer.Builder(LossFunctions.LossFunction
                .MCXENT).nIn(WIDTH).nOut(3).activation(Activation.SOFTMAX).build()).build());
        net.init();
        return net;
    }
}
