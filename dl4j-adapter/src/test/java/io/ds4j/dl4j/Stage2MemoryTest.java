package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Stage 2 holds no full-size gradient (issue 12), measured on the buffers a rank actually holds after training:
 * <ul>
 *   <li>every layer of every replica references, as its gradient view, a buffer no longer than the largest layer
 *       (the stage-2 scratch), never a flat gradient of the whole model (at stage 1 it is the whole model);</li>
 *   <li>the ledger's peak GRADIENTS + COMM_BUFFERS, recorded from each buffer's length as it is allocated, is at most
 *       {@code ceil(Psi/N) + 1 + reduce_bucket_size + largest layer} fp32 elements (the shard, which the even padding
 *       to a multiple of 2N can lengthen by one element; the bucket; the layer scratch) and strictly below stage 1's.
 *       </li>
 *   <li>stage 1 (one micro-batch per step) holds exactly one full-size gradient buffer, DL4J's view, which it
 *       reduce-scatters in place, plus one bucket of {@code max(reduce_bucket_size, allgather_bucket_size)} elements
 *       that the reduce-scatter and the gather stage through (until issue 12 a second full-size buffer, the step's
 *       accumulator, and before that a third, the padded local-gradient copy).</li>
 * </ul>
 * The network has four equal hidden layers so that the largest layer (66k) is a quarter of the model (265k).
 */
class Stage2MemoryTest {

    private static final long BUCKET = 10_000;

    @ParameterizedTest(name = "{0}, N={1}")
    @CsvSource({"mln,2", "mln,3", "graph,2", "graph,3"})
    void stage2HoldsItsShardABucketAndOneLayer(String kind, int n) {
        Model net = kind.equals("mln") ? mln() : graph();
        long psi = net.numParams();
        long largest = 256 * 256 + 256;
        Held stage2 = train(net, 2, n);
        Held stage1 = train(kind.equals("mln") ? mln() : graph(), 1, n);
        long bound = 4 * ((psi + n - 1) / n + 1 + BUCKET + largest);
        for (int r = 0; r < n; r++) {
            assertTrue(stage2.views.get(r) <= largest, "rank " + r + " layer gradient view buffer "
                    + stage2.views.get(r) + " > largest layer " + largest);
            assertEquals(psi, stage1.views.get(r), "stage 1 keeps DL4J's flat gradient view");
            assertEquals(4 * (psi + BUCKET), stage1.gradientAndBuffers(r), "stage 1 holds DL4J's view and one"
                    + " bucket, no second full-size buffer (the view is reduce-scattered in place through the bucket,"
                    + " the gather stages through it)");
            long held = stage2.gradientAndBuffers(r);
            assertTrue(held <= bound, "rank " + r + ": stage 2 peak GRADIENTS+COMM_BUFFERS " + held + " B > bound "
                    + bound + " B");
            assertTrue(held < stage1.gradientAndBuffers(r), "rank " + r + ": stage 2 " + held + " B is not below"
                    + " stage 1 " + stage1.gradientAndBuffers(r) + " B");
        }
    }

    private record Held(List<Long> views, List<LedgerSnapshot> ledgers) {
        long gradientAndBuffers(int r) {
            LedgerSnapshot s = ledgers.get(r);
            return s.peakBytes(MemoryCategory.GRADIENTS, MemoryTier.DEVICE)
                    + s.peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
        }
    }

    private static Held train(Model net, int stage, int n) {
        ZeroConfig zero = new ZeroConfig(stage, new ZeroBucketConfig(true, true, BUCKET, true, true, BUCKET, false),
                ZeroStage3Config.defaults(), OffloadOptimizerConfig.none(), OffloadParamConfig.none(), Map.of());
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withZero(zero)).worldSize(n)
                .build()) {
            List<DataSet> data = TestNets.data(2, 7, r -> new long[] {6L * n, 64}, new long[] {6L * n, 3});
            t.fit(new ListDataSetIterator<>(data, 6 * n));
            return new Held(((ShardedEngine) t.engine()).largestGradientBuffers(), t.memoryReport());
        }
    }

    private static MultiLayerNetwork mln() {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(64).nOut(256).activation(Activation.TANH).build());
        for (int i = 0; i < 4; i++) {
            b.layer(new DenseLayer.Builder().nIn(256).nOut(256).activation(Activation.TANH).build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(b.layer(new OutputLayer.Builder(LossFunctions.LossFunction
                .MCXENT).nIn(256).nOut(3).activation(Activation.SOFTMAX).build()).build());
        net.init();
        return net;
    }

    private static ComputationGraph graph() {
        ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).graphBuilder().addInputs("in")
                .addLayer("d0", new DenseLayer.Builder().nIn(64).nOut(256).activation(Activation.TANH).build(), "in");
        for (int i = 1; i <= 4; i++) {
            b.addLayer("d" + i, new DenseLayer.Builder().nIn(256).nOut(256).activation(Activation.TANH).build(),
                    "d" + (i - 1));
        }
        ComputationGraph g = new ComputationGraph(b.addLayer("out", new OutputLayer.Builder(LossFunctions
                .LossFunction.MCXENT).nIn(256).nOut(3).activation(Activation.SOFTMAX).build(), "d4")
                .setOutputs("out").build());
        g.init();
        return g;
    }
}
