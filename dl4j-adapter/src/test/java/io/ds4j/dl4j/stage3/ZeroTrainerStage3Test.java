package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.DeepSpeed;
import io.ds4j.dl4j.EngineOptions;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroBucketConfig;
import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code zero_optimization.stage: 3} through the user-facing {@link ZeroTrainer}: the engine splits each global batch
 * as at stages 0-2, the stage-3 ranks train, and the user's network receives the gathered parameters.
 *
 * <p>Parity with plain DL4J {@code fit()} on the same global batches: the tolerance {@code 1e-6 + 1e-5 |p|} and its
 * justification are {@link Stage3ParityTest}'s (W ranks or accumulated micro-batches only reorder the float sum of the
 * same per-example gradients). Parameter offload ({@code offload_param} cpu / nvme) must be <b>bit-identical</b> to
 * none: the offloaded shard is an exact float copy of the fp32 master, refreshed after every step, and the gathers
 * read the same floats in the same order.
 */
class ZeroTrainerStage3Test {
    private static final int STEPS = 8;
    private static final int BATCH = 12;

    @TempDir
    Path nvme;

    static EngineOptions stage3(int gas, OffloadParamConfig offload) {
        ZeroConfig z = new ZeroConfig(3, ZeroBucketConfig.defaults(3), Stage3ParityTest.knobs("plain"),
                OffloadOptimizerConfig.none(), offload, Map.of());
        return EngineOptions.defaults().withZero(z).withAccumulation(gas);
    }

    /** What a listener on the user's network saw: iteration numbers and scores. */
    private static final class Seen extends BaseTrainingListener {
        final List<Integer> iterations = new ArrayList<>();
        final List<Double> scores = new ArrayList<>();
        final List<Long> nvmeFiles = new ArrayList<>();
        Path dir;

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            iterations.add(iteration);
            scores.add(model.score());
            if (dir != null) {
                nvmeFiles.add(countFiles(dir));
            }
        }
    }

    private static long countFiles(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertClose(float[] expect, float[] got) {
        assertEquals(expect.length, got.length);
        for (int i = 0; i < expect.length; i++) {
            assertTrue(Math.abs(expect[i] - got[i]) <= 1e-6 + 1e-5 * Math.abs(expect[i]),
                    "param " + i + ": " + expect[i] + " vs " + got[i]);
        }
    }

    @ParameterizedTest(name = "dense W={0} gas={1}")
    @CsvSource({"2,1", "2,2", "1,1"})
    void denseMatchesPlainFit(int world, int gas) {
        List<DataSet> data = TestNets.randomData(STEPS, BATCH, 7, new long[] {6}, new long[] {3});
        MultiLayerNetwork reference = TestNets.plainDenseMln(42);
        List<Double> expectScores = new ArrayList<>();
        for (DataSet d : data) {
            reference.fit(d);
            expectScores.add(reference.score());
        }
        MultiLayerNetwork user = TestNets.plainDenseMln(42);
        Seen seen = new Seen();
        user.setListeners(seen);
        try (ZeroTrainer t = ZeroTrainer.builder(user).config(stage3(gas, OffloadParamConfig.none()))
                .worldSize(world).build()) {
            t.fit(new ExistingDataSetIterator(data));
            assertEquals(world, t.memoryReport().size(), "one ledger per stage-3 rank");
            assertEquals(world > 1, t.commStats().totalElements() > 0, "stage-3 collectives counted by the engine");
        }
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), seen.iterations, "one iterationDone per optimizer step");
        for (int i = 0; i < STEPS; i++) {
            assertEquals(expectScores.get(i), seen.scores.get(i), 1e-5 + 1e-5 * Math.abs(expectScores.get(i)),
                    "listener score of step " + i + " is the global batch's");
        }
        if (world == 1 && gas == 1) {
            assertArrayEquals(reference.params().toFloatVector(), user.params().toFloatVector(),
                    "world size 1 reproduces DL4J bit for bit");
        }
        assertClose(reference.params().toFloatVector(), user.params().toFloatVector());
        assertEquals(STEPS, user.getIterationCount());
        assertEquals(1, user.getEpochCount());
    }

    @Test
    void branchingGraphMatchesPlainFit() {
        List<DataSet> data = TestNets.randomData(STEPS, BATCH, 11, new long[] {6}, new long[] {3});
        ComputationGraph reference = Stage3GraphParityTest.branching(42);
        for (DataSet d : data) {
            reference.fit(d);
        }
        ComputationGraph user = Stage3GraphParityTest.branching(42);
        try (ZeroTrainer t = ZeroTrainer.builder(user).config(stage3(1, OffloadParamConfig.none()))
                .worldSize(3).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        assertClose(reference.params().toFloatVector(), user.params().toFloatVector());
    }

    private OffloadParamConfig offload(String device) {
        return switch (device) {
            case "none" -> OffloadParamConfig.none();
            case "cpu" -> OffloadParamConfig.onDevice(OffloadDevice.CPU);
            default -> new OffloadParamConfig(OffloadDevice.NVME, nvme.toString(), 5, 100_000_000L,
                    1_000_000_000L, true);
        };
    }

    private float[] train(String device, List<DataSet> data, Seen seen, List<LedgerSnapshot> ledgers) {
        MultiLayerNetwork user = TestNets.plainDenseMln(42);
        user.setListeners(seen);
        try (ZeroTrainer t = ZeroTrainer.builder(user).config(stage3(2, offload(device))).worldSize(2).build()) {
            t.fit(new ExistingDataSetIterator(data));
            ledgers.addAll(t.memoryReport());
        }
        return user.params().toFloatVector();
    }

    /**
     * none vs cpu vs nvme on 2 ranks with accumulation 2: identical floats; the ledger holds the shards on HOST (cpu:
     * in place in the user's network, whose memory is the host's on the CPU backend, so each rank's owned elements)
     * or DISK (nvme, {@code 4 x sum ceil(numel / 2)} bytes per rank: a shard per tensor, padded as DeepSpeed pads);
     * in fp32 that shard is the fp32 master, so no MASTER_WEIGHTS copy stays on the device; nvme keeps one file
     * per tensor per rank during training and none after close.
     */
    @Test
    void parameterOffloadIsBitIdentical() {
        List<DataSet> data = TestNets.randomData(STEPS, BATCH, 5, new long[] {6}, new long[] {3});
        List<LedgerSnapshot> none = new ArrayList<>();
        List<LedgerSnapshot> cpu = new ArrayList<>();
        List<LedgerSnapshot> disk = new ArrayList<>();
        float[] base = train("none", data, new Seen(), none);
        float[] host = train("cpu", data, new Seen(), cpu);
        Seen seen = new Seen();
        seen.dir = nvme;
        float[] file = train("nvme", data, seen, disk);
        assertArrayEquals(base, host, "offload_param cpu changes no float");
        assertArrayEquals(base, file, "offload_param nvme changes no float");

        long padded = 0;
        long[] owned = new long[2];
        for (INDArray p : TestNets.plainDenseMln(1).paramTable().values()) {
            long n = p.length();
            long shard = (n + 1) / 2; // ceil(n / 2)
            padded += shard;
            owned[0] += shard;
            owned[1] += n - shard; // rank 1 owns the rest; its padding is not stored in the master
        }
        for (int r = 0; r < 2; r++) {
            // cpu: in place in the user's network on the CPU backend (its memory is the host's), the owned elements
            assertEquals(4 * owned[r], cpu.get(r).peakBytes(MemoryCategory.PARAMETERS, MemoryTier.HOST), "rank " + r);
            assertEquals(4 * padded, disk.get(r).peakBytes(MemoryCategory.PARAMETERS, MemoryTier.DISK), "rank " + r);
            assertEquals(0, cpu.get(r).peakBytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DEVICE),
                    "the offloaded shard is the fp32 master: no second copy on the device");
            assertEquals(4 * owned[r], none.get(r).peakBytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE),
                    "without offload the fp32 master is the parameter shard");
            assertEquals(0, disk.get(r).peakBytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE),
                    "no parameter shard on the device with offload (no persistent parameters with these knobs)");
        }
        int tensors = TestNets.plainDenseMln(1).paramTable().size();
        assertEquals(STEPS, seen.nvmeFiles.size());
        for (long n : seen.nvmeFiles) {
            assertEquals(2L * tensors, n, "one shard file per tensor per rank while training");
        }
        assertEquals(0, countFiles(nvme), "files removed at close");
        assertTrue(nvme.toFile().list().length == 0, "rank directories removed at close");
    }

    /** The branching graph (merge vertex) on 3 ranks: nvme offload gives exactly the floats of no offload. */
    @Test
    void graphWithNvmeOffloadIsBitIdentical() {
        List<DataSet> data = TestNets.randomData(4, BATCH, 13, new long[] {6}, new long[] {3});
        float[][] out = new float[2][];
        for (int i = 0; i < 2; i++) {
            ComputationGraph user = Stage3GraphParityTest.branching(42);
            try (ZeroTrainer t = ZeroTrainer.builder(user)
                    .config(stage3(1, offload(i == 0 ? "none" : "nvme"))).worldSize(3).build()) {
                t.fit(new ExistingDataSetIterator(data));
            }
            out[i] = user.params().toFloatVector();
        }
        assertArrayEquals(out[0], out[1]);
        assertEquals(0, countFiles(nvme), "files removed at close");
    }

    /** A rank that fails mid-step (features of the wrong width) stops the fit; the shard files are deleted. */
    @Test
    void failedFitDeletesTheShardFiles() {
        List<DataSet> data = new ArrayList<>(TestNets.randomData(2, BATCH, 3, new long[] {6}, new long[] {3}));
        data.add(TestNets.randomData(1, BATCH, 3, new long[] {7}, new long[] {3}).get(0));
        ZeroTrainer t = ZeroTrainer.builder(TestNets.plainDenseMln(42)).config(stage3(1, offload("nvme"))).worldSize(2)
                .build();
        assertEquals(2, nvme.toFile().list().length, "one directory per rank while open");
        assertThrows(RuntimeException.class, () -> t.fit(new ExistingDataSetIterator(data)));
        assertEquals(0, nvme.toFile().list().length, "directories and files removed after the failure");
        t.close();
    }

    /**
     * The engine's counters (summed over ranks) for one stage-3 step with the plain knobs on 3 ranks, derived as in
     * {@code Stage3Volume}: every hidden-layer tensor is all-gathered for the forward and again for the backward and
     * its gradient reduce-scattered; the output layer runs forward, score and backward as one module (2 collectives);
     * each moves {@code (N - 1) ceil(n / N)} elements per rank. The user's network needs no gather at the end of
     * the pass: the ranks keep their shards in place in it (before, one more all-gather of every tensor).
     */
    @Test
    void commStatsAreTheStage3VolumeSummedOverRanks() {
        int w = 3;
        List<DataSet> data = TestNets.randomData(1, BATCH, 5, new long[] {6}, new long[] {3});
        MultiLayerNetwork user = TestNets.plainDenseMln(3);
        long out = 0;
        long other = 0;
        for (int i = 0; i < user.getnLayers(); i++) {
            for (INDArray p : user.getLayer(i).paramTable().values()) {
                long shard = (p.length() + w - 1) / w;
                if (i == user.getnLayers() - 1) {
                    out += shard;
                } else {
                    other += shard;
                }
            }
        }
        try (ZeroTrainer t = ZeroTrainer.builder(user).config(stage3(1, OffloadParamConfig.none())).worldSize(w)
                .build()) {
            t.fit(new ExistingDataSetIterator(data));
            var stats = t.commStats();
            // no end-of-pass gather of every tensor into the user's network: the ranks are threads of this process
            // and their shards are its parameters (Stage3Trainer's in-place mode)
            assertEquals(w * (w - 1) * (2 * other + out),
                    stats.of(io.ds4j.zero.comm.CollectiveKind.ALL_GATHER).elements());
            assertEquals(w * (w - 1) * (other + out),
                    stats.of(io.ds4j.zero.comm.CollectiveKind.REDUCE_SCATTER).elements());
        }
    }

    @Test
    void nvmePathIsCheckedByKey() {
        OffloadParamConfig missing = new OffloadParamConfig(OffloadDevice.NVME, nvme.resolve("absent").toString(), 5,
                100_000_000L, 1_000_000_000L, true);
        ZeroTrainer.Builder b = ZeroTrainer.builder(TestNets.plainDenseMln(1)).config(stage3(1, missing)).worldSize(2);
        RuntimeException e = assertThrows(RuntimeException.class, b::build);
        assertTrue(String.valueOf(rootMessage(e)).contains("zero_optimization.offload_param.nvme_path"),
                rootMessage(e));
        assertTrue(rootMessage(e).contains("does not exist"), rootMessage(e));
    }

    private static String rootMessage(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            s.append(c.getMessage()).append(" | ");
        }
        return s.toString();
    }

    /** What stage 3 does not run yet is refused by key, never ignored. */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_num_steps\": 5}},|scheduler",
        "\"prescale_gradients\": true,|prescale_gradients",
        "\"gradient_predivide_factor\": 2.0,|gradient_predivide_factor"})
    void unsupportedSectionsAreRefusedByKey(String section, String key) {
        String json = "{\"train_batch_size\": 12, " + section + " \"zero_optimization\": {\"stage\": 3}}";
        ZeroTrainer.Builder b = ZeroTrainer.builder(TestNets.plainDenseMln(1)).config(DeepSpeedConfig.parse(json))
                .worldSize(2);
        RuntimeException e = assertThrows(RuntimeException.class, b::build);
        assertTrue(e.getMessage().startsWith(key + ":"), e.getMessage());
        assertTrue(e.getMessage().contains("stage 3"), e.getMessage());
    }

    @Test
    void optimizerOffloadIsRefusedByKey() {
        String json = "{\"train_batch_size\": 12, \"zero_optimization\": {\"stage\": 3, \"offload_optimizer\":"
                + " {\"device\": \"cpu\"}}}";
        ZeroTrainer.Builder b = ZeroTrainer.builder(TestNets.plainDenseMln(1)).config(DeepSpeedConfig.parse(json))
                .worldSize(2);
        RuntimeException e = assertThrows(RuntimeException.class, b::build);
        assertTrue(e.getMessage().startsWith("zero_optimization.offload_optimizer.device:"), e.getMessage());
    }

    @Test
    void deepSpeedInitializeRefusesStage3ByKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeepSpeed.initialize(TestNets.plainDenseMln(1), stage3(1, OffloadParamConfig.none())));
        assertTrue(e.getMessage().startsWith("zero_optimization.stage: 3"), e.getMessage());
        assertTrue(e.getMessage().contains("ZeroTrainer"), e.getMessage());
    }
}
