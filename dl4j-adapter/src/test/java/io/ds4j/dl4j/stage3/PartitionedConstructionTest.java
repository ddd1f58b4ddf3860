package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.PartitionedConstruction;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Stage 3's partitioned construction ({@link PartitionedConstruction}, DeepSpeed's {@code zero.Init}): a
 * {@code MultiLayerNetwork} given to the trainer without {@code init()} is never allocated whole.
 *
 * <ul>
 *   <li>Its initial parameters are DL4J's own: gathered, they equal {@code init()}'s of a fresh network of the same
 *       configuration bit for bit (the golden values come from DL4J's {@code init()}, not from ds4j).</li>
 *   <li>It trains bit-identically to the same trainer given the initialised network, with the network's DL4J updaters
 *       and with a DeepSpeed Adam section offloading parameters and optimizer to nvme.</li>
 *   <li>Nothing holds the full vector while it trains: the user's network stays uninitialised until
 *       {@link ZeroTrainer#network()} asks for it, no rank's layer references an ND4J buffer longer than the largest
 *       layer, and each rank's parameter bytes in the ledger (shards and gathered layers, every tier) stay below the
 *       4Ψ bytes of a full copy.</li>
 * </ul>
 */
class PartitionedConstructionTest {
    private static final int W = 2;

    @TempDir
    Path nvme;

    /** Eight 24-wide dense layers: Ψ = 4,179, the largest layer 600 parameters (a seventh of Ψ). */
    private static MultiLayerConfiguration deep(long seed) {
        var b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER).updater(new Adam(1e-2)).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(24).activation(Activation.TANH).build());
        for (int i = 0; i < 6; i++) {
            b.layer(new DenseLayer.Builder().nIn(24).nOut(24).activation(Activation.TANH)
                    .weightInit(i % 2 == 0 ? WeightInit.RELU : WeightInit.UNIFORM).biasInit(0.1).build());
        }
        return b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(24).nOut(3)
                .activation(Activation.SOFTMAX).build()).build();
    }

    private static MultiLayerNetwork initialised(MultiLayerConfiguration c) {
        MultiLayerNetwork n = new MultiLayerNetwork(c.clone());
        n.init();
        return n;
    }

    @Test
    void initialParametersAreThoseOfDl4jInit() {
        for (MultiLayerConfiguration c : List.of(deep(11), TestNets.convMln(5).getLayerWiseConfigurations())) {
            float[] golden = initialised(c).params().toFloatVector();
            MultiLayerNetwork target = initialised(c);
            target.params().assign(0);
            try (Stage3Trainer t = Stage3Trainer.create(new MultiLayerNetwork(c.clone()), ZeroStage3Config.defaults(),
                    OffloadParamConfig.none(), InProcessCollectives.create(W, Duration.ofMinutes(2)),
                    Stage3Numerics.fp32())) {
                t.writeParamsTo(target);
                long largest = PartitionedConstruction.largestLayer(PartitionedConstruction.prepared(c));
                for (int r = 0; r < W; r++) {
                    assertTrue(t.rank(r).largestReferencedParameterBuffer() <= largest,
                            "rank " + r + " references no buffer beyond the largest layer's " + largest);
                }
            }
            assertArrayEquals(golden, target.params().toFloatVector());
        }
    }

    /** Stage 3 with the knobs that bound live parameters; with a DeepSpeed Adam section, nvme offload of both. */
    private String json(boolean deepSpeedAdam) {
        String knobs = ", \"sub_group_size\": 500, \"stage3_max_live_parameters\": 1000,"
                + " \"stage3_prefetch_bucket_size\": 0, \"stage3_param_persistence_threshold\": 30";
        String offload = ", \"offload_optimizer\": {\"device\": \"nvme\", \"nvme_path\": \"" + nvme + "\"},"
                + " \"offload_param\": {\"device\": \"nvme\", \"nvme_path\": \"" + nvme + "\", \"buffer_count\": 2,"
                + " \"buffer_size\": 700}";
        return "{\"train_batch_size\": 8, \"gradient_accumulation_steps\": 2, \"zero_optimization\": {\"stage\": 3"
                + knobs + (deepSpeedAdam ? offload + "}, \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01}}}"
                : "}}");
    }

    @ParameterizedTest(name = "DeepSpeed Adam + nvme offload: {0}")
    @ValueSource(booleans = {false, true})
    void trainsAsTheInitialisedNetworkAndNeverHoldsTheFullVector(boolean deepSpeedAdam) {
        MultiLayerConfiguration c = deep(7);
        List<DataSet> batches = TestNets.randomData(5, 8, 3, new long[] {6}, new long[] {3});
        DeepSpeedConfig config = DeepSpeedConfig.parse(json(deepSpeedAdam));
        MultiLayerNetwork usual = initialised(c);
        try (ZeroTrainer t = ZeroTrainer.builder(usual).config(config).worldSize(W).build()) {
            t.fit(new ExistingDataSetIterator(batches));
        }
        MultiLayerNetwork lazy = new MultiLayerNetwork(c.clone());
        try (ZeroTrainer t = ZeroTrainer.builder(lazy).config(config).worldSize(W).build()) {
            t.fit(new ExistingDataSetIterator(batches));
            long psi = usual.numParams();
            assertFalse(lazy.isInitCalled(), "the user's network is not initialised while it trains");
            assertTrue(lazy.params() == null || lazy.params().isEmpty(), "no flat vector: " + lazy.params());
            for (LedgerSnapshot s : t.memoryReport()) {
                long params = 0;
                for (MemoryTier tier : MemoryTier.values()) {
                    params += s.peakBytes(MemoryCategory.PARAMETERS, tier);
                }
                assertTrue(params > 0 && params < 4 * psi, "rank " + s.rank() + " parameter bytes " + params
                        + " against a full copy's " + 4 * psi);
            }
            assertSame(lazy, t.network());
            assertTrue(lazy.isInitCalled());
            assertEquals(usual.getIterationCount(), lazy.getIterationCount());
            assertArrayEquals(usual.params().toFloatVector(), lazy.params().toFloatVector(), "bit-identical");
        }
    }
}
