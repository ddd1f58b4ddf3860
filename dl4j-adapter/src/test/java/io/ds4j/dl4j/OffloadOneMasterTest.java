package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.stage3.HostBytes;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Stages 1-2 in fp32 with {@code offload_optimizer} on ND4J's CPU backend hold one fp32 copy of each rank's shard:
 * the replica's parameters, which the store steps in place, not a second master beside them (DeepSpeed clones its
 * fp32 partition, {@code single_partition_of_fp32_groups}). Measured by the JVM on a trained 2-rank trainer of the
 * 6-1500-1500-3 network (Ψ = 2,265,003; a rank's master would be 4.5 MB), each reading the open trainer minus the
 * closed one:
 * <ul>
 *   <li>cpu: the live Java heap after full collections (least of two tries) against the same trainer without
 *       offload, whose Adam moments are heap arrays of the same lengths: they differ by less than 2 MiB (before: by
 *       the two masters, 9.1 MB);</li>
 *   <li>nvme: the JVM's direct-buffer bytes (the swap slots) and the bytes of the swap files while training: a slot
 *       holds a sub-group's two moments, no master (before: three vectors), and the files about 8Ψ (before: 12Ψ).</li>
 * </ul>
 * With {@code sub_group_size} 100,000. The ledger agrees: no {@code MASTER_WEIGHTS} on any tier, Adam's moments on
 * the offload's tier. Training stays bit-identical ({@code ZeroTrainerOffloadTest}'s parity asserts, unchanged; its
 * tier checks now expect no master).
 */
class OffloadOneMasterTest {
    private static final int W = 2;
    private static final long SUB_GROUP = 100_000; // below NvmeStore's swap unit: a slot is a sub-group
    private static final long SLACK = 2L << 20;
    @TempDir
    Path nvme;

    private record Held(long heap, long direct, long files, List<LedgerSnapshot> ledgers) { }

    private Held held(int stage, String device) throws InterruptedException {
        MultiLayerNetwork net = HostBytes.wide(new Adam(1e-3));
        String path = device.equals("nvme") ? ", \"nvme_path\": \"" + nvme.toString().replace("\\", "\\\\") + "\""
                : "";
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(String.format(Locale.ROOT, "{\"train_batch_size\": 8,"
                + " \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.001}}, \"zero_optimization\":"
                + " {\"stage\": %d, \"sub_group_size\": %d, \"offload_optimizer\": {\"device\": \"%s\"%s}}}", stage,
                SUB_GROUP, device, path));
        List<DataSet> data = TestNets.randomData(1, 8, 9, new long[] {6}, new long[] {3});
        long heap;
        long direct;
        long files;
        List<LedgerSnapshot> ledgers;
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(W).build()) {
            t.fit(new ExistingDataSetIterator(data));
            heap = HostBytes.heapAfterGc();
            direct = HostBytes.directBytes();
            files = fileBytes(nvme);
            ledgers = t.memoryReport();
        }
        return new Held(heap - HostBytes.heapAfterGc(), direct - HostBytes.directBytes(), files, ledgers);
    }

    private static long fileBytes(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void noMaster(List<LedgerSnapshot> ledgers, MemoryTier stateTier, long psi) {
        long state = 0;
        for (LedgerSnapshot s : ledgers) {
            for (MemoryTier t : MemoryTier.values()) {
                assertEquals(0, s.peakBytes(MemoryCategory.MASTER_WEIGHTS, t), "rank " + s.rank() + ": no master on "
                        + t);
            }
            assertEquals(0, s.peakBytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE), "rank " + s.rank());
            state += s.peakBytes(MemoryCategory.OPTIMIZER_STATE, stateTier);
        }
        assertEquals(8 * psi, state, 8 * W, "Adam's m and v of every parameter, over the ranks, on " + stateTier);
    }

    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {1, 2})
    void cpuOffloadHoldsNoHeapMasterBesideTheParameters(int stage) throws InterruptedException {
        long psi = HostBytes.wide(new Adam(1e-3)).numParams();
        held(stage, "cpu"); // warm-up: classes, ND4J's and DL4J's lazy caches
        long none = Math.min(held(stage, "none").heap(), held(stage, "none").heap());
        Held cpu = held(stage, "cpu");
        long offloaded = Math.min(cpu.heap(), held(stage, "cpu").heap());
        String seen = String.format(Locale.ROOT, "stage %d: heap held without offload %d B, with cpu offload %d B;"
                + " 8Ψ = %d B, a rank's master 4Ψ/N = %d B", stage, none, offloaded, 8 * psi, 4 * psi / W);
        System.out.println("OffloadOneMasterTest " + seen);
        assertTrue(none >= 8 * psi, "control: Adam's moments are heap arrays; " + seen);
        assertTrue(offloaded < none + SLACK, "a second fp32 copy of the shards is held; " + seen);
        noMaster(cpu.ledgers(), MemoryTier.HOST, psi);
    }

    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {1, 2})
    void nvmeStreamsTheMomentsOnly(int stage) throws InterruptedException {
        long psi = HostBytes.wide(new Adam(1e-3)).numParams();
        Held nvmeRun = held(stage, "nvme");
        String seen = String.format(Locale.ROOT, "stage %d: swap slots %d B of direct buffers, swap files %d B;"
                + " sub_group_size %d, Ψ = %d", stage, nvmeRun.direct(), nvmeRun.files(), SUB_GROUP, psi);
        System.out.println("OffloadOneMasterTest " + seen);
        long slotWithMaster = 3 * 4 * SUB_GROUP;  // the smallest slot that also streams a master
        assertTrue(nvmeRun.direct() >= W * 2 * 4 * SUB_GROUP, "control: each rank's slot holds 2 moments; " + seen);
        assertTrue(nvmeRun.direct() < W * slotWithMaster, "a slot streams a master; " + seen);
        assertTrue(nvmeRun.files() >= 8 * psi, "control: the files hold Adam's moments; " + seen);
        assertTrue(nvmeRun.files() < 9 * psi, "the files hold a master too; " + seen);
        noMaster(nvmeRun.ledgers(), MemoryTier.DISK, psi);
    }
}
