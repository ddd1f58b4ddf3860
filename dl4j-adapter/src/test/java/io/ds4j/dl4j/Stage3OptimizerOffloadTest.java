package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code offload_optimizer} at ZeRO stage 3 (with and without {@code offload_param}): the fp32 master and optimizer
 * state of each rank's owned elements live in a store on the host or in files, stepped in {@code sub_group_size}
 * groups by the same fused kernel on the same inputs as without offload, so training must be bit-identical to no
 * offload (fp32, fp16 with accumulation, bf16), the ledger must show the state in the store's tier, and the nvme files
 * must be gone after {@code close()}.
 */
class Stage3OptimizerOffloadTest {

    private static final int BATCH = 32;
    private static final String ADAM = ", \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.005}},"
            + " \"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0, \"warmup_max_lr\": 0.005,"
            + " \"warmup_num_steps\": 10}}";

    private static float[] train(String zeroExtra, String extra) {
        return train(zeroExtra, extra, EnginePrecision.Compute.FLOAT);
    }

    private static float[] train(String zeroExtra, String extra, EnginePrecision.Compute compute) {
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.TANH);
        List<DataSet> data = TestNets.blobs(6, BATCH, 13);
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                + " {\"stage\": 3" + zeroExtra + "}" + ADAM + extra + "}");
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).compute(compute)
                .build()) {
            t.fit(new ExistingDataSetIterator(data), 2);
        }
        return net.params().toFloatVector();
    }

    @ParameterizedTest(name = "precision [{0}]")
    @ValueSource(strings = {"", ", \"fp16\": {\"enabled\": true}, \"gradient_accumulation_steps\": 2",
        ", \"bf16\": {\"enabled\": true}"})
    void cpuAndNvmeOffloadAreBitIdenticalToNone(String precision, @TempDir Path dir) {
        float[] none = train("", precision);
        float[] cpu = train(", \"offload_optimizer\": {\"device\": \"cpu\"}", precision);
        float[] nvme = train(", \"sub_group_size\": 100, \"offload_optimizer\": {\"device\": \"nvme\", \"nvme_path\": \""
                + dir.toString().replace("\\", "/") + "\"}", precision);
        float[] both = train(", \"offload_optimizer\": {\"device\": \"cpu\"}, \"offload_param\": {\"device\":"
                + " \"cpu\"}", precision);
        String path = dir.toString().replace("\\", "/");
        float[] bothNvme = train(", \"sub_group_size\": 100, \"offload_optimizer\": {\"device\": \"nvme\","
                + " \"nvme_path\": \"" + path + "\"}, \"offload_param\": {\"device\": \"nvme\", \"nvme_path\": \""
                + path + "\", \"buffer_count\": 2, \"buffer_size\": 64}", precision);
        float[] partial = train(", \"sub_group_size\": 100, \"offload_optimizer\": {\"device\": \"cpu\","
                + " \"ratio\": 0.5}", precision);
        float[] start = TestNets.blobNet(1.0, Activation.TANH).params().toFloatVector();
        assertFalse(java.util.Arrays.equals(start, none), "the optimizer must move the parameters");
        assertArrayEquals(none, cpu, "offload_optimizer cpu" + precision);
        assertArrayEquals(none, nvme, "offload_optimizer nvme, sub_group_size 100" + precision);
        assertArrayEquals(none, both, "offload_optimizer and offload_param cpu" + precision);
        assertArrayEquals(none, bothNvme, "offload_optimizer and offload_param nvme, sub_group_size 100" + precision);
        assertArrayEquals(none, partial, "offload_optimizer cpu, ratio 0.5 (partial offload)" + precision);
    }

    /**
     * Adam's two state words per owned element (8 bytes each) and the master (4 bytes) move to the store's tier: none
     * of the rank's optimizer state stays on the device; the staging vectors (gradient and master, 8 bytes per owned
     * element) are buffers on the device.
     */
    @Test
    void ledgerPutsStateAndMasterInTheStoresTier(@TempDir Path dir) throws IOException {
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.TANH);
        long psi = net.numParams();
        for (String device : new String[] {"cpu", "nvme"}) {
            DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                    + " {\"stage\": 3, \"offload_optimizer\": {\"device\": \"" + device + "\", \"nvme_path\": \""
                    + dir.toString().replace("\\", "/") + "\"}}" + ADAM + "}");
            MemoryTier tier = device.equals("cpu") ? MemoryTier.HOST : MemoryTier.DISK;
            List<LedgerSnapshot> report;
            try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).build()) {
                t.fit(new ExistingDataSetIterator(TestNets.blobs(2, BATCH, 3)));
                report = t.memoryReport();
                if (device.equals("nvme")) {
                    assertTrue(countFiles(dir) > 0, "the nvme store writes files under nvme_path");
                }
            }
            long state = 0;
            for (LedgerSnapshot r : report) {
                assertEquals(0, r.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE), device + " rank "
                        + r.rank());
                state += r.bytes(MemoryCategory.OPTIMIZER_STATE, tier);
            }
            assertEquals(8 * psi, state, device + ": Adam's m and v for every parameter, over the ranks, in " + tier);
        }
        assertEquals(0, countFiles(dir), "close() deletes the optimizer's nvme files");
    }

    /** HALF layers (fp16 compute) on top: the store sees the same gradients, so offload is still bit-identical. */
    @Test
    void halfComputeWithOffloadIsBitIdenticalToNone() {
        String fp16 = ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 8}";
        float[] none = train("", fp16, EnginePrecision.Compute.HALF);
        float[] cpu = train(", \"offload_optimizer\": {\"device\": \"cpu\"}, \"offload_param\": {\"device\":"
                + " \"cpu\"}", fp16, EnginePrecision.Compute.HALF);
        assertArrayEquals(none, cpu, "HALF compute, offload_optimizer and offload_param cpu");
        assertFalse(java.util.Arrays.equals(none, train("", fp16)), "HALF compute is not FLOAT compute");
    }

    @Test
    void offloadWithoutAnOptimizerSectionIsRefusedByKey() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                + " {\"stage\": 3, \"offload_optimizer\": {\"device\": \"cpu\"}}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZeroTrainer.builder(TestNets.blobNet()).config(cfg).worldSize(2).build());
        assertTrue(e.getMessage().contains("offload_optimizer.device"), e.getMessage());
    }

    private static long countFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
