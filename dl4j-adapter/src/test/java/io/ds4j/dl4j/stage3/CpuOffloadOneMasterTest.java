package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.TestNets;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.dataset.DataSet;

/**
 * With {@code offload_param} and {@code offload_optimizer} both on the {@code cpu} in fp32 a ZeRO-3 rank holds one
 * fp32 copy of its shard: the parameter shard on the host is the master the fused optimizer steps in place, and
 * beside it only Adam's two moments, so the model states on the host are 12 B per parameter over the ranks, not 16
 * (the optimizer store used to clone the master: 4Ψ/N more per rank, as DeepSpeed's {@code
 * fp32_partitioned_groups_flat} does). Measured by the JVM, not by the ledger: the live Java heap (after full
 * collections) that a trained trainer holds, open minus just closed, least of two tries, on a network whose arrays
 * stay below G1's humongous size (12 hidden layers 300 wide: each rank's shard of a layer is 180 KB), so the heap
 * counts the arrays' own bytes, and only the biases persistent (a tensor below DeepSpeed's default threshold of 1e5
 * elements stays gathered in full on every rank, 4Ψ per rank here). Measured: 30.3 MB before (the store's master,
 * 4 B x 543k elements a rank, is humongous), 14.0 MB now; the bound is 12Ψ (13.0 MB) plus 2 MiB for the trainer's
 * other objects. The ledger says the same: no {@code MASTER_WEIGHTS} anywhere, Adam's state on the host. Training
 * stays bit-identical to no offload ({@code Stage3OptimizerOffloadTest}).
 *
 * <p>That is a network built partitioned here (not initialised: the shards then are Java arrays on the host). Ranks
 * given an initialised network keep their shards in place in it on the CPU backend, whose memory is the host's
 * ({@code Stage3Trainer}'s in-place mode): then no shard is on the heap at all, only the moments, 8Ψ over the ranks.
 */
class CpuOffloadOneMasterTest {
    private static final long SLACK = 2L << 20;

    private long held(java.util.function.Supplier<MultiLayerNetwork> nets, int world, List<LedgerSnapshot>[] ledgers)
            throws InterruptedException {
        MultiLayerNetwork net = nets.get();
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Adam\","
                + " \"params\": {\"lr\": 0.001}}, \"zero_optimization\": {\"stage\": 3, \"sub_group_size\": 100000,"
                + " \"stage3_param_persistence_threshold\": 1000, \"offload_param\": {\"device\": \"cpu\"},"
                + " \"offload_optimizer\": {\"device\": \"cpu\"}}}");
        List<DataSet> data = TestNets.randomData(1, 8, 9, new long[] {6}, new long[] {3});
        long open;
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(world).build()) {
            t.fit(new ExistingDataSetIterator(data));
            open = HostBytes.heapAfterGc();
            ledgers[0] = t.memoryReport();
        }
        return open - HostBytes.heapAfterGc();
    }

    /**
     * @param world    ranks in this JVM
     * @param inPlace  an initialised network, whose parameters the ranks keep their shards in; else a network built
     *                 partitioned (not initialised: a new one for each run), whose shards are Java arrays on the host
     */
    @ParameterizedTest(name = "world {0} in place {1}")
    @CsvSource({"1,false", "1,true", "2,true"})
    @SuppressWarnings("unchecked")
    void theHostHoldsTheShardAndTheMomentsOnly(int world, boolean inPlace) throws InterruptedException {
        MultiLayerNetwork initialised = new MultiLayerNetwork(HostBytes.deep(12, 300, 7));
        initialised.init();
        java.util.function.Supplier<MultiLayerNetwork> nets = inPlace ? () -> initialised
                : () -> new MultiLayerNetwork(HostBytes.deep(12, 300, 7));
        long psi = initialised.numParams();
        List<LedgerSnapshot>[] ledgers = new List[1];
        held(nets, world, ledgers); // warm-up: classes, ND4J's and DL4J's lazy caches
        long heap = Math.min(held(nets, world, ledgers), held(nets, world, ledgers));
        long onHeap = inPlace ? 8 * psi : 12 * psi; // in place: the shards are the network's native memory
        String seen = "heap held " + heap + " B; expected " + onHeap + " B; 12Ψ = " + 12 * psi + " B, 16Ψ = "
                + 16 * psi + " B";
        System.out.println("CpuOffloadOneMasterTest world " + world + " in place " + inPlace + " " + seen);
        assertTrue(heap >= onHeap, "control: " + (inPlace ? "" : "the shards and ") + "Adam's moments are on the"
                + " heap; " + seen);
        assertTrue(heap < onHeap + SLACK, "a copy of the shards is held on the heap; " + seen);
        long params = 0;
        for (LedgerSnapshot s : ledgers[0]) {
            params += s.peakBytes(MemoryCategory.PARAMETERS, MemoryTier.HOST);
        }
        assertTrue(params >= 4 * psi && params < 4 * psi + 4L * world * 64, "the shards, on the host: " + params);
        long state = 0;
        for (LedgerSnapshot s : ledgers[0]) {
            for (MemoryTier t : MemoryTier.values()) {
                assertEquals(0, s.peakBytes(MemoryCategory.MASTER_WEIGHTS, t), "rank " + s.rank() + ": no master "
                        + "copy on " + t);
            }
            assertEquals(0, s.peakBytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE), "rank " + s.rank());
            state += s.peakBytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.HOST);
        }
        assertEquals(8 * psi, state, "Adam's m and v of every parameter, over the ranks, on the host");
    }
}
