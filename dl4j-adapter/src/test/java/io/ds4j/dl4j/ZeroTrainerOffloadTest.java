package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.shard.ShardLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.learning.config.Adam;

/**
 * {@code zero_optimization.offload_optimizer} in the engine: 2 ranks through {@link ZeroTrainer}, stages 1 and 2,
 * DeepSpeed's AdamW with clipping and accumulation, offload none vs cpu vs nvme.
 *
 * <p>Expected: bit-identical parameters. The reduction is the same in every run (same stage, deterministic
 * collectives), the fused kernel is the same and element-wise, so stepping the shard in sub-groups from a store gives
 * exactly the floats of the step over the whole shard; in fp32 training the store's master equals the network's
 * parameters after every step. The ledger moves the optimizer state to HOST (cpu) or DISK (nvme) and records no
 * master: on ND4J's CPU backend the store steps the replica's fp32 parameters in place ({@code OffloadOneMasterTest});
 * in nvme mode (17 sub-groups of 40 elements per shard) the resident optimizer memory is the swap slots, within
 * {@code buffer_count x sub_group_size x 4} bytes plus the 32-byte header of each slot. nvme files are deleted at close and after a failed fit.
 */
class ZeroTrainerOffloadTest {

    private static final int STEPS = 6;
    private static final int SUB_GROUP = 40; // elements: the 1283-parameter net's ~642-element shards span 17
    private static final int BUFFERS = 9; // room for 3 slots of a sub-group: kernel, read-ahead, write-behind
    private static final int HEADER = 32; // SwapFile header bytes per slot, NvmeStore's documented constant

    @TempDir
    Path nvme;

    private static String config(int stage, String offload) {
        return String.format(Locale.ROOT, "{\"train_batch_size\": 24, \"gradient_accumulation_steps\": 2,"
                + " \"gradient_clipping\": 0.05, \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 0.01,"
                + " \"weight_decay\": 0.01}}, \"zero_optimization\": {\"stage\": %d, \"sub_group_size\": %d,"
                + " \"offload_optimizer\": %s}}", stage, SUB_GROUP, offload);
    }

    private String offload(String device) {
        return switch (device) {
            case "none" -> "{\"device\": \"none\"}";
            case "cpu" -> "{\"device\": \"cpu\", \"pin_memory\": true}";
            default -> "{\"device\": \"nvme\", \"nvme_path\": \"" + nvme.toString().replace("\\", "\\\\")
                    + "\", \"buffer_count\": " + BUFFERS + ", \"pipeline_read\": true, \"pipeline_write\": true}";
        };
    }

    /** Dense 6-128-3 (1283 parameters), so a shard is many sub-groups and far more than the nvme buffers hold. */
    private static MultiLayerNetwork wideNet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(128).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(128).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Trains a fresh net; returns its parameters and each rank's ledger just before close. */
    private record Run(float[] params, List<LedgerSnapshot> ledgers) {
    }

    private Run train(int stage, String device) {
        return train(config(stage, offload(device)), device);
    }

    private Run train(String json, String device) {
        MultiLayerNetwork net = wideNet();
        List<DataSet> data = TestNets.denseData(STEPS, 24, 31);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(2).build()) {
            t.fit(new ExistingDataSetIterator(data));
            if ("nvme".equals(device)) {
                assertEquals(2, rankDirectories(), "one swap directory per rank while training");
            }
            return new Run(net.params().toFloatVector(), t.memoryReport());
        }
    }

    private long rankDirectories() {
        try (Stream<Path> s = Files.list(nvme)) {
            return s.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "stage {0}: none vs cpu vs nvme")
    @CsvSource({"1", "2"})
    void offloadGivesBitIdenticalTrainingAndMovesTheBytes(int stage) {
        Run none = train(stage, "none");
        Run cpu = train(stage, "cpu");
        Run disk = train(stage, "nvme");
        float[] start = wideNet().params().toFloatVector();
        assertFalse(java.util.Arrays.equals(start, none.params()), "training moved the parameters");
        assertArrayEquals(none.params(), cpu.params(), "cpu offload: parameters bit-identical to no offload");
        assertArrayEquals(none.params(), disk.params(), "nvme offload: parameters bit-identical to no offload");
        assertEquals(0, rankDirectories(), "nvme swap directories deleted at close");
        ShardLayout layout = new ShardLayout(start.length, 2, 2);
        for (int r = 0; r < 2; r++) {
            long shard = layout.ownedRange(r).length();
            checkTiers(cpu.ledgers().get(r), MemoryTier.HOST, shard);
            checkTiers(disk.ledgers().get(r), MemoryTier.DISK, shard);
            assertEquals(8 * shard, none.ledgers().get(r).bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE),
                    "no offload: the 2 Adam moments of the shard on the device");
            long resident = disk.ledgers().get(r).bytes(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST);
            long bound = (long) BUFFERS * SUB_GROUP * Float.BYTES + 3L * HEADER;
            System.out.printf(Locale.ROOT, "stage %d rank %d nvme: shard %d elements, state on disk %d B,"
                    + " resident swap slots %d B, bound buffer_count x sub_group_size x 4 + 3 x %d = %d B%n", stage,
                    r, shard, 8 * shard, resident, HEADER, bound);
            assertTrue(resident > 0 && resident <= bound, "resident " + resident + " B within " + bound + " B");
            assertTrue(bound < 8 * shard, "the bound is below the shard's optimizer bytes, so it is a real limit");
        }
    }

    /** At stage 0 DeepSpeed ignores offload_optimizer (the config reader warns); so does the engine. */
    @Test
    void atStageZeroOffloadIsIgnored() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(config(0, offload("nvme")));
        assertTrue(cfg.warnings().stream().anyMatch(w -> w.contains("offload_optimizer")), cfg.warnings().toString());
        Run none = train(0, "none");
        Run nvmeAtZero = train(config(0, offload("nvme")), "ignored");
        assertArrayEquals(none.params(), nvmeAtZero.params());
        assertEquals(0, rankDirectories(), "no swap files at stage 0");
        LedgerSnapshot l = nvmeAtZero.ledgers().get(0);
        assertEquals(0, l.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DISK), "nothing on disk");
        assertTrue(l.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE) > 0, "state on the device");
    }

    /**
     * Mixed precision with offload: the store keeps the fp32 master (the engine's own master copy of the range
     * becomes the store's compute copy, rounded into the replica as without offload), so fp16 and bf16 training are
     * bit-identical with and without offload too.
     */
    @ParameterizedTest(name = "stage 2, {0}: none vs cpu vs nvme")
    @CsvSource({"fp16", "bf16"})
    void mixedPrecisionOffloadIsBitIdentical(String format) {
        java.util.function.Function<String, String> json = device -> config(2, offload(device)).replaceFirst("\\{",
                "{\"" + format + "\": {\"enabled\": true" + ("fp16".equals(format) ? ", \"initial_scale_power\": 8"
                        : "") + "}, ");
        Run none = train(json.apply("none"), "none");
        assertArrayEquals(none.params(), train(json.apply("cpu"), "cpu").params(), format + " cpu offload");
        assertArrayEquals(none.params(), train(json.apply("nvme"), "nvme").params(), format + " nvme offload");
        assertFalse(java.util.Arrays.equals(wideNet().params().toFloatVector(), none.params()), "training moved");
        assertEquals(0, rankDirectories(), "nvme swap directories deleted at close");
    }

    /**
     * The two AdamW moments ({@code 8 x shard}) in {@code tier}, none on the device; no master anywhere: the store
     * steps the replica's fp32 parameters in place (CPU backend).
     */
    private static void checkTiers(LedgerSnapshot l, MemoryTier tier, long shard) {
        assertEquals(0, l.bytes(MemoryCategory.MASTER_WEIGHTS), "rank " + l.rank() + " holds no master copy");
        assertEquals(8 * shard, l.bytes(MemoryCategory.OPTIMIZER_STATE, tier), "rank " + l.rank() + " state");
        assertEquals(0, l.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE), "no state left on the device");
        assertEquals(0, l.bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DEVICE), "no master on the device");
    }

    /** A failed fit closes the trainer: the ranks' nvme files are gone without an explicit close. */
    @Test
    void aFailedFitDeletesTheSwapFiles() {
        MultiLayerNetwork net = TestNets.sgdMln(4, new Adam(1e-2));
        net.setListeners(new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                if (iteration == 1) {
                    throw new IllegalStateException("listener failed at iteration 1");
                }
            }
        });
        ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(config(2, offload("nvme"))))
                .worldSize(2).build();
        assertEquals(2, rankDirectories());
        Ranks.RankFailedException e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(
                Ranks.RankFailedException.class, () -> t.fit(new ExistingDataSetIterator(
                        TestNets.denseData(4, 24, 3)))));
        assertTrue(e.getCause().getMessage().contains("listener failed"), e.getCause().toString());
        assertEquals(0, rankDirectories(), "swap directories deleted after the failed fit");
        assertThrows(IllegalStateException.class, () -> t.fit(new ExistingDataSetIterator(
                TestNets.denseData(1, 24, 3))), "the trainer is closed after a failed fit");
    }

    /** The network's own DL4J updaters cannot run on offloaded state: refused naming the key and the fix. */
    @Test
    void offloadWithoutAnOptimizerSectionIsRefused() {
        String json = "{\"train_batch_size\": 24, \"zero_optimization\": {\"stage\": 1, \"offload_optimizer\":"
                + " {\"device\": \"cpu\"}}}";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZeroTrainer.builder(
                TestNets.sgdMln(4, new Adam(1e-2))).config(DeepSpeedConfig.parse(json)).worldSize(2).build());
        assertTrue(e.getMessage().contains("zero_optimization.offload_optimizer.device: cpu")
                && e.getMessage().contains("\"optimizer\" section"), e.getMessage());
        IllegalArgumentException inFit = assertThrows(IllegalArgumentException.class, () -> DeepSpeed.initialize(
                TestNets.sgdMln(4, new Adam(1e-2)), DeepSpeedConfig.parse(config(1, offload("cpu"))
                        .replace("\"gradient_accumulation_steps\": 2,", ""))));
        assertTrue(inFit.getMessage().contains("zero_optimization.offload_optimizer.device")
                && inFit.getMessage().contains("ZeroTrainer"), inFit.getMessage());
    }

    /** A bad nvme_path is an error naming the key before training starts, and leaves no files behind. */
    @Test
    void aMissingNvmePathIsRefusedBeforeTraining() throws IOException {
        Path file = Files.createFile(nvme.resolve("not-a-directory"));
        String json = config(1, "{\"device\": \"nvme\", \"nvme_path\": \"" + file.toString().replace("\\", "\\\\")
                + "\", \"buffer_count\": 9}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZeroTrainer.builder(
                TestNets.sgdMln(4, new Adam(1e-2))).config(DeepSpeedConfig.parse(json)).worldSize(2).build());
        assertTrue(e.getMessage().contains("nvme_path"), e.getMessage());
        assertEquals(1, rankDirectories(), "only the test's own file: no rank directory left behind");
    }
}
