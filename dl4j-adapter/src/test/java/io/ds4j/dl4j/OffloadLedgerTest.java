package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.ledger.TrainingPrecision;
import io.ds4j.zero.ledger.ZeroFormulas;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.dataset.DataSet;

/**
 * What stages 1-2 hold for {@code offload_optimizer} beyond the ZeRO paper's formula, from the ledger of a trainer
 * that took a step, against the terms {@link ZeroFormulas} takes from DeepSpeed (fp32 Adam, N = 2): DeepSpeed clones
 * the fp32 master of the shard onto the host ({@link ZeroFormulas#offloadMaster}, its
 * {@code single_partition_of_fp32_groups}); ds4j on ND4J's CPU backend steps the replica's fp32 parameters in place
 * and holds no such copy, neither on the host (cpu) nor in the files (nvme); with nvme, in memory, no more swap
 * buffers than DeepSpeed's swapper pins ({@link ZeroFormulas#swapBuffers}: {@code buffer_count} buffers of the
 * largest sub-group). Bounds: the shard may hold one element more than {@code ceil(Ψ/N)} (the engine's alignment, as in
 * {@link ZeroTrainerLedgerTest}), so 4 bytes; each swap slot carries a 32-byte header.
 */
class OffloadLedgerTest {
    private static final int WORLD = 2;
    private static final long SUB_GROUP = 200_000;
    @TempDir
    Path dir;

    @ParameterizedTest(name = "stage {0}, {1}")
    @CsvSource({"1,cpu", "2,cpu", "1,nvme", "2,nvme"})
    void ledgerHoldsDeepSpeedsOffloadTermsAndNoMore(int stage, String device) {
        MultiLayerNetwork net = ZeroTrainerLedgerTest.millionParameterNet();
        long psi = net.numParams();
        String nvme = device.equals("nvme")
                ? ", \"nvme_path\": \"" + dir.toString().replace("\\", "\\\\") + "\"" : "";
        String json = String.format(Locale.ROOT, "{\"train_batch_size\": 16, \"optimizer\": {\"type\": \"Adam\","
                + " \"params\": {\"lr\": 0.001}}, \"zero_optimization\": {\"stage\": %d, \"sub_group_size\": %d,"
                + " \"offload_optimizer\": {\"device\": \"%s\"%s}}}", stage, SUB_GROUP, device, nvme);
        List<DataSet> data = TestNets.randomData(1, 16, 3, new long[] {784}, new long[] {10});
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(WORLD).build()) {
            t.fit(new ExistingDataSetIterator(data));
            long master = ZeroFormulas.offloadMaster(stage, TrainingPrecision.FP32, psi, WORLD);
            assertEquals(4 * ((psi + 1) / 2), master, "4 B x ceil(Ψ/N)");
            int bufferCount = io.ds4j.zero.config.OffloadOptimizerConfig.none().bufferCount();
            long swap = ZeroFormulas.swapBuffers(bufferCount, ZeroFormulas.largestSubGroup(psi, WORLD, SUB_GROUP),
                    Float.BYTES);
            assertEquals(4 * 200_000 * 4, swap, "DeepSpeed's default buffer_count 4 x the 200,000-element sub-group");
            for (LedgerSnapshot s : t.memoryReport()) {
                String r = "rank " + s.rank() + ": ";
                long onHost = s.peakBytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.HOST);
                long onDisk = s.peakBytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DISK);
                assertEquals(0, s.peakBytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DEVICE), r + "no device master");
                long buffers = s.peakBytes(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST);
                assertEquals(0, onHost, r + "no host master beside the parameters (DeepSpeed's is " + master + " B)");
                assertEquals(0, onDisk, r + "no master in the files");
                if (device.equals("nvme")) {
                    assertTrue(buffers > 0, r + "nvme stages through host buffers");
                    assertTrue(buffers <= swap + 32L * bufferCount,
                            r + "swap buffers " + buffers + " B within DeepSpeed's buffer_count x sub-group " + swap);
                }
            }
        }
    }
}
