package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.zero.comm.CollectiveKind;
import io.ds4j.zero.comm.CommStats;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.stage3.ParamState;
import io.ds4j.zero.stage3.PartitionedParam;
import io.ds4j.zero.stage3.Stage3Volume;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Communication volume, persistent bytes and peak transient bytes of one stage-3 step of the dense test network
 * (6-16-12-3: parameters W 96, b 16 | W 192, b 12 | W 36, b 3; Ψ = 355) on 3 ranks with the plain schedule
 * (nothing persistent, no prefetch, release right after use).
 */
class Stage3MemoryAndVolumeTest {
    private static final int W = 3;

    private static long shard(long n) {
        return (n + W - 1) / W; // ceil(n / N): DeepSpeed pads every tensor to a multiple of the world size
    }

    @Test
    void oneStepMovesThreePsiLessTheOutputLayersSecondGather() {
        MultiLayerNetwork net = TestNets.plainDenseMln(3);
        List<DataSet> data = TestNets.randomData(2, 12, 5, new long[] {6}, new long[] {3});
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), W)) {
            Stage3Steps steps = new Stage3Steps(t, 1);
            steps.fit(data.get(0));
            List<CommStats> before = t.commStats();
            steps.fit(data.get(1));
            long outShards = 0;
            long otherShards = 0;
            for (int i = 0; i < net.getnLayers(); i++) {
                for (INDArray p : net.getLayer(i).paramTable().values()) {
                    if (i == net.getnLayers() - 1) {
                        outShards += shard(p.length());
                    } else {
                        otherShards += shard(p.length());
                    }
                }
            }
            // hidden layers: gathered for forward, again for backward, gradient reduce-scattered: 3 collectives;
            // the output layer runs forward, score and backward in one step (as in DL4J): 2 collectives.
            long expectGather = (W - 1) * (2 * otherShards + outShards);
            long expectScatter = (W - 1) * (otherShards + outShards);
            for (int r = 0; r < W; r++) {
                CommStats d = t.commStats().get(r).minus(before.get(r));
                assertEquals(expectGather, d.of(CollectiveKind.ALL_GATHER).elements(), "rank " + r);
                assertEquals(expectScatter, d.of(CollectiveKind.REDUCE_SCATTER).elements(), "rank " + r);
                assertEquals(0, d.of(CollectiveKind.ALL_REDUCE).elements(), "no all-reduce of parameters");
            }
        }
    }

    @Test
    void volumeMatchesTheDerivationForAnyKnobs() {
        // prefetch bucket 60, max live 150, reuse distance 40, persistence threshold 16 (biases persist): per tensor
        // g all-gathers (those the coordinator made, plus the post-step refresh of a persistent one) and one
        // reduce-scatter, each moving (N-1) ceil(n/N) elements per rank (Stage3Volume)
        MultiLayerNetwork net = TestNets.plainDenseMln(3);
        List<DataSet> data = TestNets.randomData(2, 12, 5, new long[] {6}, new long[] {3});
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("prefetch"), W)) {
            Stage3Steps steps = new Stage3Steps(t, 1);
            steps.fit(data.get(0));
            List<CommStats> before = t.commStats();
            steps.fit(data.get(1));
            for (int r = 0; r < W; r++) {
                RankBase rank = t.rank(r);
                long gather = 0;
                long scatter = 0;
                int persistent = 0;
                for (PartitionedParam p : rank.params()) {
                    int g = rank.coordinator().gathersLastStep(p) + (p.isPersistent() ? 1 : 0);
                    persistent += p.isPersistent() ? 1 : 0;
                    gather += g * Stage3Volume.perCollective(p.spec().numel(), W);
                    scatter += Stage3Volume.perCollective(p.spec().numel(), W);
                }
                assertEquals(3, persistent, "the three biases of at most 16 elements persist");
                CommStats d = t.commStats().get(r).minus(before.get(r));
                assertEquals(gather, d.of(CollectiveKind.ALL_GATHER).elements(), "rank " + r);
                assertEquals(scatter, d.of(CollectiveKind.REDUCE_SCATTER).elements(), "rank " + r);
            }
        }
    }

    /** Elements of a tensor of {@code n} that rank {@code r} owns: its shard without padding. */
    private static long owned(long n, int r) {
        long s = shard(n);
        return Math.max(0, Math.min(n, (r + 1) * s) - Math.min(n, r * s));
    }

    @Test
    void ranksHoldShardsPersistentlyAndAtMostTheDerivedPeakTransiently() {
        MultiLayerNetwork net = TestNets.plainDenseMln(3);
        List<DataSet> data = TestNets.randomData(2, 12, 5, new long[] {6}, new long[] {3});
        long[] ownedPerRank = new long[W];
        long largestLayerPadded = 0;
        long largestParamPadded = 0;
        long largestShard = 0;
        long largestLayer = 0;
        for (Layer l : net.getLayers()) {
            long layerPadded = 0;
            for (INDArray p : l.paramTable().values()) {
                for (int r = 0; r < W; r++) {
                    ownedPerRank[r] += owned(p.length(), r);
                }
                layerPadded += W * shard(p.length());
                largestParamPadded = Math.max(largestParamPadded, W * shard(p.length()));
                largestShard = Math.max(largestShard, shard(p.length()));
            }
            largestLayerPadded = Math.max(largestLayerPadded, layerPadded);
            largestLayer = Math.max(largestLayer, l.numParams());
        }
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), W)) {
            Stage3Steps steps = new Stage3Steps(t, 1);
            for (DataSet d : data) {
                steps.fit(d);
            }
            for (int r = 0; r < W; r++) {
                LedgerSnapshot s = t.memoryReport().get(r);
                // fp32: the rank's owned parameter elements (also the optimizer's master), their gradient, and
                // Adam's two state words (the middle layer's Nesterovs keeps one): no full vector anywhere
                assertEquals(4 * ownedPerRank[r], s.bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE));
                assertEquals(4 * ownedPerRank[r], s.bytes(MemoryCategory.GRADIENTS, MemoryTier.DEVICE));
                assertEquals(0, s.bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DEVICE));
                // transient: the module buffer of one layer (its tensors side by side, exactly the layer's length),
                // which the layer computes on, plus one full gradient tensor and its shard during the
                // reduce-scatter; plus the gradient scratch of the largest layer (4 B per element; there is no
                // parameter scratch: the layers compute on their module buffers). The W in-process ranks share one
                // module buffer, each ledgering a 1/W share of it (SharedModuleMemory)
                long scratch = 4 * largestLayer;
                long bound = scratch + 4 * (largestLayer + largestParamPadded + largestShard);
                long peak = s.peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
                assertTrue(peak <= bound, "peak " + peak + " > bound " + bound);
                assertTrue(peak >= scratch + 4 * largestLayer / W, "the largest layer was gathered: " + peak);
                // nothing gathered between steps; the released buffers stay pooled for the next step's gathers and
                // reduce-scatters (so a step allocates none), within the most held at once, and the ledger shows them
                RankBase rank = t.rank(r);
                for (PartitionedParam p : rank.params()) {
                    assertEquals(ParamState.SHARDED, p.state(), "between steps: " + p.spec().name());
                }
                long pooled = rank.pooledBytes();
                assertTrue(pooled > 0 && pooled <= peak - scratch, "pool " + pooled + ", peak " + peak);
                assertEquals(scratch + pooled, s.bytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE),
                        "between steps: the scratch and the pooled buffers");
            }
        }
    }

    /**
     * On one rank in fp32 the reduce-scatter is a copy of the rank's own gradient, so each layer's gradient goes from
     * the gradient scratch straight into the gradient partition: no full gradient tensor or shard buffer is ever held,
     * and the transient peak is the gathered largest layer alone (204 elements; the general path would add a full
     * gradient of W2 and its shard, 2 x 192 elements, once W2's parameters are released), in the module buffer its
     * layer computes on: there is no second copy of it in a parameter scratch (there was: 12 B per element of the
     * largest layer, now 8).
     */
    @Test
    void oneRankHoldsNoGradientCopiesBesideTheScratch() {
        MultiLayerNetwork net = TestNets.plainDenseMln(3);
        List<DataSet> data = TestNets.randomData(2, 12, 5, new long[] {6}, new long[] {3});
        long largestLayer = 0;
        for (Layer l : net.getLayers()) {
            largestLayer = Math.max(largestLayer, l.numParams());
        }
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), 1)) {
            Stage3Steps steps = new Stage3Steps(t, 1);
            for (DataSet d : data) {
                steps.fit(d);
            }
            LedgerSnapshot s = t.memoryReport().get(0);
            long gradientScratch = 4 * largestLayer;
            assertEquals(gradientScratch + 4 * largestLayer, s.peakBytes(MemoryCategory.COMM_BUFFERS,
                    MemoryTier.DEVICE));
        }
    }
}
