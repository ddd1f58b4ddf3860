package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroStage3Config;

import java.nio.file.Path;
import java.time.Duration;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * {@code offload_param.device: nvme} keeps no copy of the shards in host memory, measured by the JVM, not by the
 * ledger: a 2-rank trainer of a 6-1500-1500-3 network (Ψ = 2,265,003, 8.6 MiB of fp32 shards over the ranks) is
 * built and trained one step, and the live Java heap (after full collections) and the JVM's direct-buffer memory it
 * holds are measured (open minus just closed, the least of a few tries). With nvme it must stay under
 * {@value #SLACK_BYTES} B (the trainer's objects: layers, configurations, index views; measured well under 1 MiB)
 * plus the swap buffers' budget (2 ranks x buffer_count 2 x buffer_size 4096 x 4 B = 64 KiB); with cpu, the control, the heap must grow by at least the shards' 4Ψ bytes, which
 * shows the measurement sees a shard held on the heap.
 */
class NvmeParamHostMemoryTest {
    private static final int W = 2;
    private static final long SLACK_BYTES = 2L << 20;
    private static final int COUNT = 2;
    private static final long SIZE = 4096;

    @TempDir
    Path nvme;

    /**
     * Live heap and direct-buffer bytes a trained trainer holds: {heap, direct}, each measured with the trainer open
     * minus right after it closes. Measuring against the moment before it opened would also count whatever unrelated
     * garbage earlier tests left for the collector to find in between (a run in the full suite once saw the heap
     * "shrink" by 20 MB that way).
     */
    private long[] held(OffloadDevice device) throws InterruptedException {
        MultiLayerNetwork net = HostBytes.wide(new Adam(1e-3));
        DataSet batch = TestNets.randomData(1, 4, 9, new long[] {6}, new long[] {3}).get(0);
        OffloadParamConfig offload = new OffloadParamConfig(device, nvme.toString(), COUNT, SIZE, 1_000_000_000L,
                true);
        long heapOpen;
        long directOpen;
        try (Stage3Trainer t = Stage3Trainer.create(net, ZeroStage3Config.defaults(), offload,
                InProcessCollectives.create(W, Duration.ofMinutes(2)), Stage3Numerics.fp32())) {
            new Stage3Steps(t, 1).fit(batch);
            heapOpen = HostBytes.heapAfterGc();
            directOpen = HostBytes.directBytes();
        }
        long[] held = {heapOpen - HostBytes.heapAfterGc(), directOpen - HostBytes.directBytes()};
        net.numParams(); // the user's network stays reachable through both measurements
        return held;
    }

    /**
     * The smallest of {@code tries} measurements, element by element: unrelated garbage the collector happens to find
     * between the two readings shows as bytes the trainer did not hold.
     */
    private long[] leastOf(OffloadDevice device, int tries) throws InterruptedException {
        long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
        for (int i = 0; i < tries; i++) {
            long[] m = held(device);
            best[0] = Math.min(best[0], m[0]);
            best[1] = Math.min(best[1], m[1]);
        }
        return best;
    }

    @Test
    void nvmeHoldsTheSwapBuffersNotTheShards() throws InterruptedException {
        held(OffloadDevice.NVME); // warm-up: classes, ND4J's and DL4J's lazy caches
        long psi = HostBytes.wide(new Adam(1e-3)).numParams();
        long[] cpu = leastOf(OffloadDevice.CPU, 2);
        long[] disk = leastOf(OffloadDevice.NVME, 3);
        long budget = W * COUNT * SIZE * Float.BYTES;
        String seen = "nvme: heap +" + disk[0] + " B, direct +" + disk[1] + " B; cpu: heap +" + cpu[0] + " B; 4Ψ = "
                + 4 * psi + " B";
        assertTrue(cpu[0] >= 4 * psi, "control: the cpu shards are on the heap; " + seen);
        assertTrue(disk[0] + Math.max(0, disk[1]) <= SLACK_BYTES + budget, seen);
        assertTrue(disk[1] <= budget, "direct memory within the swap buffers' budget; " + seen);
        System.out.println("NvmeParamHostMemoryTest " + seen);
    }
}
