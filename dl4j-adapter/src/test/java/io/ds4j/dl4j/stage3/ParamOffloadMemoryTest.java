package io.ds4j.dl4j.stage3;

import io.ds4j.zero.stage3.MasterShards;
import io.ds4j.zero.stage3.MasterShardStore;
import io.ds4j.zero.stage3.Held;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.stage3.PartitionedParam;
import io.ds4j.zero.stage3.ShardStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code offload_param} in fp32 moves the shard, which is the fp32 master, off the device: with {@code cpu} it is a
 * Java array on the host, with {@code nvme} a file, and the device holds no copy of it between steps. Checked on the
 * dense test network (6-16-12-3, Ψ = 355) on 2 ranks with {@code sub_group_size} 40, so the optimizer step brings the
 * offloaded masters to the device in sub-groups whose segments cut parameters: training stays bit-identical.
 */
class ParamOffloadMemoryTest {
    private static final int W = 2;
    private static final long SUB_GROUP = 40;

    @TempDir
    Path nvme;

    private static ZeroStage3Config knobs() {
        return new ZeroStage3Config(0, 0, Long.MAX_VALUE, 1_000_000_000L, 0, false, 0, false, false, SUB_GROUP);
    }

    private OffloadParamConfig offload(OffloadDevice device) {
        return device == OffloadDevice.NVME ? new OffloadParamConfig(device, nvme.toString(), 2, 64, 1_000_000_000L,
                true) : OffloadParamConfig.onDevice(device);
    }

    /**
     * What one run leaves: the final parameters, the ledgers, the device bytes the masters' arrays hold, the nvme
     * swap buffers' bytes and the transient buffers pooled between steps.
     */
    private record Run(float[] params, List<LedgerSnapshot> ledgers, long[] masterArrayBytes, long[] swapBytes,
                       long[] pooled) { }

    private Run train(OffloadDevice device) {
        MultiLayerNetwork net = TestNets.plainDenseMln(42);
        List<DataSet> data = TestNets.randomData(3, 8, 5, new long[] {6}, new long[] {3});
        long[] arrays = new long[W];
        long[] swap = new long[W];
        long[] pooled = new long[W];
        List<LedgerSnapshot> ledgers;
        try (Stage3Trainer t = Stage3Trainer.create(net, knobs(), offload(device),
                InProcessCollectives.create(W, Duration.ofMinutes(2)), Stage3Numerics.fp32())) {
            data.forEach(new Stage3Steps(t, 1)::fit);
            ledgers = t.memoryReport();
            for (int r = 0; r < W; r++) {
                for (PartitionedParam p : t.rank(r).params()) {
                    ShardStore m = MasterShards.masterOf(p.store());
                    if (m instanceof MasterShardStore d && d.owned() != null) {
                        arrays[r] += Held.bytes(d.owned());
                    }
                }
                var buffers = t.rank(r).home().swapBuffers();
                swap[r] = buffers == null ? 0 : buffers.residentBytes();
                pooled[r] = t.rank(r).pooledBytes();
            }
            t.copyParamsTo(net);
            return new Run(net.params().toFloatVector(), ledgers, arrays, swap, pooled);
        }
    }

    @Test
    void theMasterLeavesTheDeviceAndTrainingIsBitIdentical() throws Exception {
        Run none = train(OffloadDevice.NONE);
        Run cpu = train(OffloadDevice.CPU);
        Run disk = train(OffloadDevice.NVME);
        assertArrayEquals(none.params(), cpu.params(), "offload_param cpu changes no float");
        assertArrayEquals(none.params(), disk.params(), "offload_param nvme changes no float");
        long[] owned = new long[W];
        long padded = 0;
        for (INDArray p : TestNets.plainDenseMln(1).paramTable().values()) {
            long shard = (p.length() + W - 1) / W;
            padded += shard;
            owned[0] += shard;
            owned[1] += p.length() - shard;
        }
        for (int r = 0; r < W; r++) {
            // the arrays themselves: the masters are ND4J (device) arrays only without offload
            assertEquals(4 * owned[r], none.masterArrayBytes()[r], "rank " + r);
            assertEquals(0, cpu.masterArrayBytes()[r], "rank " + r);
            assertEquals(0, disk.masterArrayBytes()[r], "rank " + r);
            // the ledger, entered from those buffers: device bytes between steps drop by the master (besides the
            // transient buffers pooled for the next step, which nvme's swap budget, 2 x 64 floats, keeps small)
            long deviceNone = none.ledgers().get(r).tierBytes(MemoryTier.DEVICE) - none.pooled()[r];
            assertEquals(deviceNone - 4 * owned[r], cpu.ledgers().get(r).tierBytes(MemoryTier.DEVICE)
                    - cpu.pooled()[r], "rank " + r);
            assertEquals(deviceNone - 4 * owned[r], disk.ledgers().get(r).tierBytes(MemoryTier.DEVICE)
                    - disk.pooled()[r], "rank " + r);
            assertTrue(disk.pooled()[r] <= 2 * 64 * 4, "rank " + r + ": pooled " + disk.pooled()[r]);
            assertEquals(0, cpu.ledgers().get(r).bytes(MemoryCategory.MASTER_WEIGHTS), "no second copy");
            assertEquals(0, disk.ledgers().get(r).bytes(MemoryCategory.MASTER_WEIGHTS), "no second copy");
            assertEquals(4 * padded, cpu.ledgers().get(r).bytes(MemoryCategory.PARAMETERS, MemoryTier.HOST));
            assertEquals(4 * padded, disk.ledgers().get(r).bytes(MemoryCategory.PARAMETERS, MemoryTier.DISK));
            // the peak: the step holds one sub-group (40 floats) of the masters on the device, not the shard
            long peakNone = none.ledgers().get(r).tierPeakBytes(MemoryTier.DEVICE);
            long peakCpu = cpu.ledgers().get(r).tierPeakBytes(MemoryTier.DEVICE);
            assertTrue(peakCpu <= peakNone - 4 * owned[r] + 4 * SUB_GROUP, peakCpu + " vs " + peakNone);
            // nvme: the host holds the swap buffers, at most buffer_count x buffer_size x 4 = 512 B
            assertTrue(disk.swapBytes()[r] > 0 && disk.swapBytes()[r] <= 2 * 64 * 4, "rank " + r + ": "
                    + disk.swapBytes()[r]);
            assertEquals(disk.swapBytes()[r], disk.ledgers().get(r).bytes(MemoryCategory.OFFLOAD_BUFFERS,
                    MemoryTier.HOST));
        }
        try (var files = Files.list(nvme)) {
            assertEquals(0, files.count(), "nvme directories and files removed at close");
        }
    }

    @Test
    void ledgerEntriesAreFreedAtClose() {
        List<LedgerSnapshot> after = new ArrayList<>();
        MultiLayerNetwork net = TestNets.plainDenseMln(42);
        Stage3Trainer t = Stage3Trainer.create(net, knobs(), offload(OffloadDevice.NVME),
                InProcessCollectives.create(W, Duration.ofMinutes(2)), Stage3Numerics.fp32());
        TestNets.randomData(1, 8, 5, new long[] {6}, new long[] {3}).forEach(new Stage3Steps(t, 1)::fit);
        List<RankBase> ranks = List.of(t.rank(0), t.rank(1));
        t.close();
        ranks.forEach(r -> after.add(r.ledger().snapshot()));
        for (LedgerSnapshot s : after) {
            for (MemoryTier tier : MemoryTier.values()) {
                assertEquals(0, s.tierBytes(tier), "rank " + s.rank() + " " + tier + " after close:\n" + s.toTable());
            }
        }
    }
}
