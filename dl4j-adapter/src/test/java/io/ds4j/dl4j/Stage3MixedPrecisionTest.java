package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.precision.Fp16;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.precision.LossScaleException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * fp16 and bf16 at ZeRO stage 3 ({@link ZeroTrainer} on 2 ranks, {@code io.ds4j.dl4j.stage3}): the same task as
 * {@link MixedPrecisionTrainingTest} (gradients ~1e-6, which fp16 only keeps with loss scaling), the same overflow
 * schedule as {@link MixedPrecisionOverflowTest}, and stage 3 against stage 2 with the same precision.
 */
class Stage3MixedPrecisionTest {

    private static final int BATCH = TestNets.BLOB_BATCH;
    private static final int EPOCHS = 6;
    private static final List<DataSet> data = TestNets.BLOB_BATCHES;
    private static final DataSet all = TestNets.BLOB_ALL;

    private static String config(int stage, String extra) {
        return "{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": "
                + stage + "}" + extra + "}";
    }

    private static MultiLayerNetwork train(MultiLayerNetwork net, String json, int epochs) {
        trainFlushed(net, json, epochs);
        return net;
    }

    /** Trains and returns the fraction of stored-gradient elements flushed to zero by the 16-bit rounding. */
    private static double trainFlushed(MultiLayerNetwork net, String json, int epochs) {
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(2)
                .threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data), epochs);
            assertEquals(0, t.skippedSteps(), "no overflow expected in " + json);
            return t.flushedGradientFraction();
        }
    }

    /** As at stage 2 (MixedPrecisionTrainingTest): fp16 with a 2^16 scale ends within 2% of fp32's loss. */
    @Test
    void fp16AtStage3TracksFp32() {
        double start = TestNets.blobNet().score(all);
        double fp32 = train(TestNets.blobNet(), config(3, ""), EPOCHS).score(all);
        double fp16 = train(TestNets.blobNet(), config(3, ", \"fp16\": {\"enabled\": true,"
                + " \"initial_scale_power\": 16}"), EPOCHS).score(all);
        assertTrue(fp32 < 0.5 * start, "fp32 must learn: " + start + " -> " + fp32);
        assertEquals(fp32, fp16, 0.02 * fp32, "fp16 (scale 2^16) vs fp32 at stage 3");
        System.out.printf("stage3 fp16 e2e: start %.6g fp32 %.6g fp16 %.6g%n", start, fp32, fp16);
    }

    /**
     * Without loss scaling the stored fp16 gradients (~1e-6 / 32 per example mean, below fp16's smallest normal
     * 6.1e-5 and mostly below its smallest subnormal 6e-8) flush to zero: stage 3 rounds where stage 2 does, so it
     * must fall visibly behind fp32 as stage 2 does.
     */
    @Test
    void fp16WithoutScalingLosesSmallGradientsAtStage3() {
        double fp32 = train(TestNets.blobNet(), config(3, ""), EPOCHS).score(all);
        MultiLayerNetwork net = TestNets.blobNet();
        double flushed = trainFlushed(net, config(3, ", \"fp16\": {\"enabled\": true, \"loss_scale\": 1}"),
                EPOCHS);
        double noScale = net.score(all);
        assertTrue(noScale > 1.5 * fp32, "scale 1 must lose: fp32 " + fp32 + ", fp16 unscaled " + noScale);
        assertTrue(flushed > 0.3, "fraction of stored gradient elements flushed at scale 1: " + flushed);
        MultiLayerNetwork scaled = TestNets.blobNet();
        double few = trainFlushed(scaled, config(3, ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 16}"),
                1);
        assertTrue(few < 0.01, "with scale 2^16 almost nothing underflows: " + few);
    }

    /** bf16 (8 significant bits, fp32's range) at stage 3 within 5% of fp32, as at stage 2. */
    @Test
    void bf16AtStage3TracksFp32() {
        double fp32 = train(TestNets.blobNet(), config(3, ""), EPOCHS).score(all);
        double bf16 = train(TestNets.blobNet(), config(3, ", \"bf16\": {\"enabled\": true}"), EPOCHS)
                .score(all);
        assertEquals(fp32, bf16, 0.05 * fp32, "bf16 vs fp32 at stage 3");
    }

    /**
     * Stage 3 and stage 2 round at the same points: the stored gradient {@code round16(g / m)} per micro-batch (DL4J's
     * summed gradient already carrying the scale through the ScaledLoss), the sum over ranks divided by the world size
     * and rounded to {@code communication_data_type}, the division by the accumulation steps and the scale, the
     * update of the fp32 master, and the master rounded to the 16-bit format for the compute copy. Only the order of
     * the float sums over ranks and micro-batches differs (stage 2 sums micro-batches first, stage 3 ranks first), and
     * the summands are 16-bit values (11 / 8 significant bits): a float sum of a few of them is exact unless their
     * magnitudes differ by more than about 2^12, so the order does not matter here and the stages agree bit for bit
     * (measured; a model whose gradient elements span wider ranges could differ in the last float bit).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"\"fp16\": {\"enabled\": true, \"initial_scale_power\": 16}",
        "\"fp16\": {\"enabled\": true, \"initial_scale_power\": 16}, \"gradient_accumulation_steps\": 2",
        "\"bf16\": {\"enabled\": true}"})
    void stage3MatchesStage2BitForBit(String section) {
        float[] s2 = train(TestNets.blobNet(), config(2, ", " + section), 2).params().toFloatVector();
        float[] s3 = train(TestNets.blobNet(), config(3, ", " + section), 2).params().toFloatVector();
        double max = 0;
        for (int i = 0; i < s2.length; i++) {
            max = Math.max(max, Math.abs(s2[i] - s3[i]));
        }
        System.out.printf("stage3 vs stage2 %s: max |diff| %.3g%n", section, max);
        assertArrayEquals(s2, s3, "stage 3 vs stage 2 with " + section);
    }

    /**
     * The same for ComputationGraphs (the scaled loss goes into the rank's own graph's output layer): a convolution
     * graph with l2 and an LSTM graph with an RNN output layer, fp16 at stage 3 bit-identical to stage 2.
     */
    @Test
    void graphsAtStage3MatchStage2BitForBit() {
        String fp16 = ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 8}";
        List<java.util.function.Supplier<org.deeplearning4j.nn.graph.ComputationGraph>> nets = List.of(
                () -> TestNets.convGraph(3), () -> TestNets.lstmGraph(4));
        List<List<DataSet>> sets = List.of(TestNets.imageData(4, 8, 5), TestNets.sequenceData(4, 8, 6));
        for (int k = 0; k < nets.size(); k++) {
            float[][] out = new float[2][];
            long[] skipped = new long[2];
            for (int i = 0; i < 2; i++) {
                org.deeplearning4j.nn.graph.ComputationGraph g = nets.get(k).get();
                String json = "{\"train_batch_size\": 8, \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": "
                        + (i + 2) + "}" + fp16 + "}";
                try (ZeroTrainer t = ZeroTrainer.builder(g).config(DeepSpeedConfig.parse(json)).worldSize(2)
                        .threadsPerRank(1).build()) {
                    t.fit(new ExistingDataSetIterator(sets.get(k)), 2);
                    skipped[i] = t.skippedSteps();
                }
                out[i] = g.params().toFloatVector();
            }
            assertEquals(skipped[0], skipped[1], "skipped steps, graph " + k);
            assertTrue(skipped[1] < 8, "most of the 8 steps must be applied, skipped " + skipped[1]);
            assertArrayEquals(out[0], out[1], "graph " + k + ": stage 3 vs stage 2 fp16");
        }
    }

    /** Parameter offload keeps the same 16-bit values in another place: bit-identical training. */
    @Test
    void parameterOffloadIsBitIdentical(@TempDir Path dir) {
        String fp16 = ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 16}";
        float[] none = train(TestNets.blobNet(), config(3, fp16), 1).params().toFloatVector();
        float[] cpu = train(TestNets.blobNet(), config(3, fp16).replace("\"stage\": 3", "\"stage\": 3,"
                + " \"offload_param\": {\"device\": \"cpu\"}"), 1).params().toFloatVector();
        float[] nvme = train(TestNets.blobNet(), config(3, fp16).replace("\"stage\": 3", "\"stage\": 3,"
                + " \"offload_param\": {\"device\": \"nvme\", \"nvme_path\": \"" + dir.toString().replace("\\", "/")
                + "\"}"), 1).params().toFloatVector();
        assertArrayEquals(none, cpu, "offload_param cpu");
        assertArrayEquals(none, nvme, "offload_param nvme");
    }

    /** The user's network keeps its loss function objects and gets the fp32 master values, not their rounding. */
    @Test
    void userNetworkGetsFp32MastersAndKeepsItsLoss() {
        MultiLayerNetwork net = TestNets.blobNet();
        ILossFunction own = ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn();
        train(net, config(3, ", \"fp16\": {\"enabled\": true}"), 2);
        assertSame(own, ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
        int notHalf = 0;
        float[] p = net.params().toFloatVector();
        for (float v : p) {
            notHalf += Fp16.round(v) != v ? 1 : 0;
        }
        assertTrue(notHalf > p.length / 2, "expected fp32 master values, " + notHalf + " of " + p.length);
    }

    /**
     * Ledger: each parameter tensor of n elements is split into 2 shards of ceil(n / 2) elements (padded to a multiple
     * of the world size); the shards the gathers read hold 2 B per element, the fp32 masters 4 B per owned element
     * (summing to 4 psi over the ranks).
     */
    @Test
    void ledgerCountsSixteenBitShards() {
        MultiLayerNetwork net = TestNets.blobNet();
        long psi = net.numParams();
        long padded = 0;
        for (long n : new long[] {8 * 32, 32, 32 * 3, 3}) {
            padded += (n + 1) / 2 * 2;
        }
        List<LedgerSnapshot> report;
        // persistence threshold 0: no parameter stays gathered (a gathered tensor is a FLOAT buffer, 4 B each)
        String json = config(3, ", \"fp16\": {\"enabled\": true}").replace("\"stage\": 3",
                "\"stage\": 3, \"stage3_param_persistence_threshold\": 0");
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(2).build()) {
            report = t.memoryReport();
        }
        long params = 0;
        long masters = 0;
        for (LedgerSnapshot s : report) {
            params += s.bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE);
            masters += s.bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DEVICE);
        }
        assertEquals(2 * padded, params, "16-bit parameter shards");
        assertEquals(4 * psi, masters, "fp32 master shards");
    }

    /** Steps 1, 2, 5, 9, 10, 11 get rank 1's half of the batch scaled by 1e8 (see MixedPrecisionOverflowTest). */
    private static final Set<Integer> HUGE = Set.of(1, 2, 5, 9, 10, 11);

    /**
     * The trajectory of {@link MixedPrecisionOverflowTest} (worked out there by hand from DeepSpeed's
     * {@code DynamicLossScaler}: initial_scale_power 10, loss_scale_window 2, hysteresis 2): the scale each step
     * uses. Each step is one {@code fit} of one batch, so the user's network shows the parameters after every step.
     * With HALF compute (HALF layers on the HALF scratch) the inputs of 1e8 are already Inf in HALF: the same steps
     * must be skipped with the same trajectory.
     */
    @ParameterizedTest(name = "compute {0}")
    @ValueSource(strings = {"FLOAT", "HALF"})
    void overflowSkipsTheStepWithDeepSpeedsScaleTrajectory(String compute, @TempDir Path dir) throws Exception {
        double[] used = {1024, 1024, 1024, 512, 512, 512, 256, 256, 256, 512, 512, 256, 128, 128, 128, 256, 256};
        List<DataSet> steps = TestNets.blobs(used.length, BATCH, 3);
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.RELU);
        String json = config(3, ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 10,"
                + " \"loss_scale_window\": 2, \"hysteresis\": 2}, \"csv_monitor\": {\"enabled\": true,"
                + " \"output_path\": \""
                + dir.toString().replace("\\", "/") + "\", \"job_name\": \"s3\"}");
        List<Double> scales = new ArrayList<>();
        try (CapturedLog log = new CapturedLog();
             ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(2)
                .threadsPerRank(1).compute(EnginePrecision.Compute.valueOf(compute)).build()) {
            assertEquals("HALF".equals(compute), t.precision().halfCompute());
            float[] before = net.params().toFloatVector();
            int applied = 0;
            for (int s = 0; s < used.length; s++) {
                scales.add(t.lossScale().value());
                DataSet d = HUGE.contains(s) ? huge(steps.get(s)) : steps.get(s);
                t.fit(new ExistingDataSetIterator(List.of(d)));
                float[] after = net.params().toFloatVector();
                assertEquals(HUGE.contains(s), t.lastStepSkipped(), "skipped flag of step " + s);
                if (HUGE.contains(s)) {
                    assertArrayEquals(before, after, "skipped step " + s + " must not change a parameter");
                } else {
                    assertFalse(java.util.Arrays.equals(before, after), "step " + s + " must update");
                    applied++;
                }
                assertEquals(applied, net.getIterationCount(), "DL4J iteration after step " + s);
                before = after;
            }
            assertEquals(HUGE.size(), t.skippedSteps());
            assertEquals(512, t.lossScale().value(), "scale after the last step");
            List<String> overflow = log.lines.stream().filter(l -> l.contains("OVERFLOW!")).toList();
            assertEquals(HUGE.size(), overflow.size(), "one OVERFLOW line per skipped step (rank 0): " + log.lines);
            // step 1: scale 1024, hysteresis 2 -> 1 (kept); step 2: 1024 -> 512 (DeepSpeed's wording)
            assertTrue(overflow.get(0).contains("Attempted loss scale: 1024, but hysteresis is 2"), overflow.get(0));
            assertTrue(overflow.get(1).contains("Attempted loss scale: 1024, reducing to 512"), overflow.get(1));
        }
        List<String> scaleCsv = java.nio.file.Files.readAllLines(dir.resolve("s3").resolve(
                io.ds4j.dl4j.monitor.CsvMonitor.fileName(io.ds4j.dl4j.monitor.CsvMonitor.LOSS_SCALE)));
        List<String> skippedCsv = java.nio.file.Files.readAllLines(dir.resolve("s3").resolve(
                io.ds4j.dl4j.monitor.CsvMonitor.fileName(io.ds4j.dl4j.monitor.CsvMonitor.SKIPPED_STEP)));
        for (int s = 0; s < used.length; s++) {
            assertEquals(used[s], scales.get(s), "loss scale used by step " + s);
            long samples = (long) (s + 1) * BATCH; // DeepSpeed's global_samples after the step
            assertEquals(samples + "," + used[s], scaleCsv.get(s + 1), "csv_monitor loss scale of step " + s);
            assertEquals(samples + "," + (HUGE.contains(s) ? 1 : 0), skippedCsv.get(s + 1), "skipped of step " + s);
        }
    }

    /**
     * The minimum scale stops training on every rank with DeepSpeed's message (scale 1 = min_loss_scale, hysteresis
     * 1: the first overflow cannot lower it), and the user's network keeps its own loss function.
     */
    @Test
    void lossScaleAtTheMinimumStopsEveryRank() {
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.RELU);
        ILossFunction own = ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn();
        String json = config(3, ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 0, \"hysteresis\": 1,"
                + " \"min_loss_scale\": 1}");
        List<DataSet> steps = new ArrayList<>(TestNets.blobs(3, BATCH, 5));
        steps.set(1, huge(steps.get(1)));
        ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(2).threadsPerRank(1)
                .collectiveTimeout(Duration.ofSeconds(20)).build();
        RuntimeException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(RuntimeException.class, () -> t.fit(new ExistingDataSetIterator(steps))));
        t.close();
        Throwable c = e;
        while (c != null && !(c instanceof LossScaleException)) {
            c = c.getCause();
        }
        assertTrue(c instanceof LossScaleException, "cause chain must hold the LossScaleException: " + e);
        assertTrue(c.getMessage().contains("minimum"), c.getMessage());
        assertSame(own, ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
    }

    /** Collects the log records of the engine's logger (java.util.logging backs System.Logger here). */

    /** The batch with rank 1's half (the second 16 examples) scaled to 1e8: only one rank overflows. */
    private static DataSet huge(DataSet d) {
        DataSet c = d.copy();
        c.getFeatures().get(NDArrayIndex.interval(BATCH / 2, BATCH), NDArrayIndex.all()).muli(1e8);
        return c;
    }
}
