package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;

import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * ZeRO-3 with nvme {@code offload_optimizer} and nvme {@code offload_param} keeps no whole-shard copy of the owned
 * gradient or master in host memory, measured by the JVM (live heap after full collections, direct-buffer memory),
 * not by the ledger: a 1-rank trainer of a 6-1500-1500-3 network (Ψ = 2,265,003; one rank owns all of it) with
 * {@code sub_group_size} 4096 is built and trained one step. What may remain: the optimizer's swap slots (Adam: 3
 * vectors of one sub-group, up to 3 slots = 144 KiB), the parameter swap buffers (2 x 4096 x 4 B) and the trainer's
 * objects ({@value #SLACK_BYTES} B). The offloaded step used to concatenate the owned gradient and master into two
 * Java arrays of Ψ floats each (8Ψ = 17 MiB here, 8 B per parameter in {@code bench capacity}).
 */
class OffloadStepHostMemoryTest {
    private static final long SLACK_BYTES = 3L << 20;
    private static final int SUB_GROUP = 4096;

    @TempDir
    Path nvme;

    /** Live heap and direct-buffer growth while a trainer that took one step is open: {heap, direct}. */
    private long[] growth(MultiLayerNetwork net) throws InterruptedException {
        String path = nvme.toString().replace("\\", "/");
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 4, \"optimizer\": {\"type\": \"Adam\","
                + " \"params\": {\"lr\": 0.001}}, \"zero_optimization\": {\"stage\": 3, \"sub_group_size\": "
                + SUB_GROUP + ", \"offload_optimizer\": {\"device\": \"nvme\", \"nvme_path\": \"" + path + "\"},"
                + " \"offload_param\": {\"device\": \"nvme\", \"nvme_path\": \"" + path + "\", \"buffer_count\": 2,"
                + " \"buffer_size\": 4096}}}");
        List<DataSet> data = TestNets.randomData(1, 4, 9, new long[] {6}, new long[] {3});
        long heap0 = HostBytes.heapAfterGc();
        long direct0 = HostBytes.directBytes();
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(1).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data));
            return new long[] {HostBytes.heapAfterGc() - heap0, HostBytes.directBytes() - direct0};
        }
    }

    @Test
    void theOffloadedStepHoldsNoWholeShardCopy() throws InterruptedException {
        MultiLayerNetwork net = HostBytes.wide(new Sgd(1e-3));
        growth(net); // warm-up: classes, ND4J's and DL4J's lazy caches
        long psi = net.numParams();
        long[] g = growth(net);
        String seen = "heap +" + g[0] + " B, direct +" + g[1] + " B; 8Ψ = " + 8 * psi + " B";
        System.out.println("OffloadStepHostMemoryTest " + seen);
        assertTrue(g[0] + Math.max(0, g[1]) <= SLACK_BYTES, seen);
    }

    /**
     * The step's sub-group temporaries (ledger OTHER) are not taken when the store steps the pieces in place: the
     * fused kernel's master and gradient staging (8 B per element of the largest sub-group, all owned elements with
     * the default sub_group_size) was allocated every step and never used.
     */
    @Test
    void theOffloadedStepTakesNoSubGroupTemporaries() {
        String path = nvme.toString().replace("\\", "/");
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 4, \"optimizer\": {\"type\": \"Adam\","
                + " \"params\": {\"lr\": 0.001}}, \"zero_optimization\": {\"stage\": 3, \"offload_optimizer\":"
                + " {\"device\": \"nvme\", \"nvme_path\": \"" + path + "\"}, \"offload_param\": {\"device\":"
                + " \"nvme\", \"nvme_path\": \"" + path + "\"}}}");
        List<DataSet> data = TestNets.randomData(1, 4, 9, new long[] {6}, new long[] {3});
        MultiLayerNetwork net = HostBytes.wide(new Sgd(1e-3));
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(1).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data));
            for (var r : t.memoryReport()) {
                assertEquals(0, r.peakBytes(MemoryCategory.OTHER, MemoryTier.DEVICE), "rank " + r.rank());
            }
        }
    }
}
