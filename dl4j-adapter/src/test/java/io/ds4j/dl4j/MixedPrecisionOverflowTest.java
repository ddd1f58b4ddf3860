package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.monitor.CsvMonitor;
import io.ds4j.precision.LossScaleException;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * Overflow handling of fp16 in the ZeRO engine: steps whose data overflow the fp16 gradient are skipped (no parameter
 * change, no DL4J iteration or schedule advance), the loss scale follows DeepSpeed's {@code DynamicLossScaler}, the
 * minimum scale stops training, and the ledger and CSV monitor report what happened.
 */
class MixedPrecisionOverflowTest {

    private static final int BATCH = 32;
    /** Steps whose second half of the batch (rank 1's micro-batch only) gets inputs of 1e8: the gradient overflows. */
    private static final Set<Integer> HUGE = Set.of(1, 2, 5, 9, 10, 11);

    /**
     * Expected trajectory, worked out by hand from DeepSpeed's {@code DynamicLossScaler.update_scale} with
     * {@code initial_scale_power 10, loss_scale_window 2, hysteresis 2, consecutive_hysteresis false}
     * (cur_iter i, last_overflow_iter starts at -1, stable = i - last - 1, growth when stable > 0 and stable % 2 == 0,
     * and then hysteresis is refilled):
     * <pre>
     * i  scale used  overflow  what happens
     * 0  1024        no        stable 0
     * 1  1024        yes       hysteresis 2 -> 1, scale kept
     * 2  1024        yes       hysteresis 1: scale 1024 -> 512
     * 3  512         no        stable 0
     * 4  512         no        stable 1
     * 5  512         yes       hysteresis still 1 (only growth refills it): 512 -> 256
     * 6  256         no        stable 0
     * 7  256         no        stable 1
     * 8  256         no        stable 2: scale 512, hysteresis 2
     * 9  512         yes       hysteresis 2 -> 1
     * 10 512         yes       512 -> 256
     * 11 256         yes       256 -> 128
     * 12 128         no        stable 0
     * 13 128         no        stable 1
     * 14 128         no        stable 2: scale 256, hysteresis 2
     * 15 256         no        stable 3
     * 16 256         no        stable 4: scale 512
     * </pre>
     */
    private static final double[] SCALE_USED = {1024, 1024, 1024, 512, 512, 512, 256, 256, 256, 512, 512, 256, 128,
        128, 128, 256, 256};
    private static final double SCALE_AFTER = 512;

    @Test
    void overflowingStepsAreSkippedWithDeepSpeedsScaleTrajectory(@TempDir Path dir) throws Exception {
        overflowTrajectory(dir, EnginePrecision.Compute.FLOAT);
    }

    /**
     * The same with HALF networks (fp16 compute, as on CUDA): the inputs of 1e8 are already Inf in HALF, the
     * forward and backward passes give Inf/NaN gradients on rank 1 only, and the global decision, the skipped steps
     * and the scale trajectory must be exactly those above.
     */
    @Test
    void halfComputeSkipsTheSameStepsWithTheSameTrajectory(@TempDir Path dir) throws Exception {
        overflowTrajectory(dir, EnginePrecision.Compute.HALF);
    }

    private static void overflowTrajectory(Path dir, EnginePrecision.Compute compute) throws Exception {
        MultiLayerNetwork net = overflowNet();
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0,"
                + " \"zero_optimization\": {\"stage\": 2}, \"fp16\": {\"enabled\": true, \"initial_scale_power\": 10,"
                + " \"loss_scale_window\": 2, \"hysteresis\": 2}, \"csv_monitor\": {\"enabled\": true,"
                + " \"output_path\": \"" + dir.toString().replace("\\", "/") + "\", \"job_name\": \"k\"}}");
        List<DataSet> data = withHugeInputs(TestNets.blobs(SCALE_USED.length, BATCH, 3));
        Recorder rec = new Recorder();
        net.setListeners(rec);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).compute(compute)
                .build()) {
            assertEquals(compute == EnginePrecision.Compute.HALF, t.precision().halfCompute());
            rec.trainer = t;
            t.fit(new ExistingDataSetIterator(data));
            assertEquals(HUGE.size(), t.skippedSteps());
            assertEquals(SCALE_AFTER, t.lossScale().value());
        }
        int steps = SCALE_USED.length;
        assertEquals(steps, rec.params.size());
        int applied = 0;
        float[] before = rec.initial;
        for (int s = 0; s < steps; s++) {
            boolean skip = HUGE.contains(s);
            assertEquals(skip, rec.skipped.get(s), "skipped flag of step " + s);
            assertEquals(applied, rec.iterations.get(s), "DL4J iteration of step " + s + " (schedules use it)");
            if (skip) {
                assertArrayEquals(before, rec.params.get(s), "parameters must not change on skipped step " + s);
            } else {
                assertFalse(java.util.Arrays.equals(before, rec.params.get(s)), "step " + s + " must update");
                applied++;
            }
            before = rec.params.get(s);
        }
        assertEquals(applied, net.getIterationCount(), "skipped steps do not advance DL4J's iteration count");
        checkMonitor(dir.resolve("k"));
    }

    private static void checkMonitor(Path logDir) throws Exception {
        List<String> scale = Files.readAllLines(logDir.resolve(CsvMonitor.fileName(CsvMonitor.LOSS_SCALE)));
        List<String> skipped = Files.readAllLines(logDir.resolve(CsvMonitor.fileName(CsvMonitor.SKIPPED_STEP)));
        assertEquals("step,loss_scale", scale.get(0));
        assertEquals(SCALE_USED.length + 1, scale.size());
        for (int s = 0; s < SCALE_USED.length; s++) {
            long samples = (long) (s + 1) * BATCH;   // DeepSpeed's global_samples after the step
            assertEquals(samples + "," + SCALE_USED[s], scale.get(s + 1));
            assertEquals(samples + "," + (HUGE.contains(s) ? 1 : 0), skipped.get(s + 1));
        }
    }

    /**
     * DeepSpeed's scheduler does not step on an overflowing step: with an optimizer and a WarmupLR section, the lr
     * column of the CSV monitor over the applied steps equals that of a run whose data never overflow, and each
     * skipped step reports the lr of the step that follows it.
     */
    @Test
    void skippedStepsDoNotAdvanceTheSchedule(@TempDir Path dir) throws Exception {
        List<String> withSkips = lrColumn(dir.resolve("a"), withHugeInputs(
                TestNets.blobs(SCALE_USED.length, BATCH, 3)));
        List<String> clean = lrColumn(dir.resolve("b"), TestNets.blobs(SCALE_USED.length, BATCH, 3));
        int applied = 0;
        for (int s = 0; s < SCALE_USED.length; s++) {
            assertEquals(clean.get(applied), withSkips.get(s), "lr of step " + s);
            applied += HUGE.contains(s) ? 0 : 1;
        }
        assertFalse(clean.get(0).equals(clean.get(5)), "the warmup must move the lr: " + clean);
    }

    private static List<String> lrColumn(Path out, List<DataSet> data) throws Exception {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0,"
                + " \"zero_optimization\": {\"stage\": 1}, \"fp16\": {\"enabled\": true, \"initial_scale_power\": 10,"
                + " \"loss_scale_window\": 2, \"hysteresis\": 2}, \"optimizer\": {\"type\": \"Adam\", \"params\":"
                + " {\"lr\": 0.01}}, \"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0,"
                + " \"warmup_max_lr\": 0.01, \"warmup_num_steps\": 20, \"warmup_type\": \"linear\"}},"
                + " \"csv_monitor\": {\"enabled\": true, \"output_path\": \"" + out.toString().replace("\\", "/")
                + "\", \"job_name\": \"j\"}}");
        try (ZeroTrainer t = ZeroTrainer.builder(overflowNet()).config(cfg).worldSize(2).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        List<String> lines = Files.readAllLines(out.resolve("j").resolve(CsvMonitor.fileName(CsvMonitor.LR)));
        List<String> lr = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            lr.add(l.substring(l.indexOf(',') + 1));
        }
        return lr;
    }

    /**
     * bf16 has fp32's range, so only Inf/NaN already in the FLOAT gradient overflow it: inputs of 3e38 make the
     * hidden layer Inf. With {@code check_grad_overflow} (DeepSpeed's default) those steps are skipped and the
     * parameters stay finite; with it off the step is applied and the parameters become NaN.
     */
    @Test
    void bf16SkipsNonFiniteGradientsOnlyWithCheckGradOverflow() {
        List<DataSet> data = TestNets.blobs(4, BATCH, 9);
        DataSet bad = data.get(2).copy();
        bad.getFeatures().muli(0).addi(3e38);
        data.set(2, bad);
        for (boolean check : new boolean[] {true, false}) {
            MultiLayerNetwork net = overflowNet();
            DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0,"
                    + " \"zero_optimization\": {\"stage\": 2}, \"bf16\": {\"enabled\": true, \"check_grad_overflow\": "
                    + check + "}}");
            try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).build()) {
                t.fit(new ExistingDataSetIterator(data));
                assertEquals(check ? 1 : 0, t.skippedSteps(), "check_grad_overflow " + check);
            }
            boolean finite = !Float.isNaN(net.params().sumNumber().floatValue());
            assertEquals(check, finite, "parameters finite with check_grad_overflow " + check);
        }
    }

    /** Scale 1 = min_loss_scale, hysteresis 1: the first overflow cannot lower the scale and training stops. */
    @ParameterizedTest(name = "compute {0}")
    @ValueSource(strings = {"FLOAT", "HALF"})
    void lossScaleAtTheMinimumStopsTrainingOnEveryRank(String compute) {
        MultiLayerNetwork net = overflowNet();
        ILossFunction own = ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn();
        float[] initial = net.params().toFloatVector();
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                + " {\"stage\": 2}, \"fp16\": {\"enabled\": true, \"initial_scale_power\": 0, \"hysteresis\": 1,"
                + " \"min_loss_scale\": 1}}");
        List<DataSet> data = TestNets.blobs(3, BATCH, 5);
        data.set(1, huge(data.get(1)));
        ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1)
                .compute(EnginePrecision.Compute.valueOf(compute)).collectiveTimeout(Duration.ofSeconds(20)).build();
        RuntimeException e;
        try (CapturedLog log = new CapturedLog()) {
            e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(RuntimeException.class, () -> t.fit(new ExistingDataSetIterator(data))));
            // with HALF compute rank 0 also says how to tell HALF arithmetic's own overflow apart
            boolean advice = log.lines.stream().anyMatch(l -> l.contains("compute type float"));
            assertEquals("HALF".equals(compute), advice, "HALF advice in " + log.lines);
        }
        t.close();
        Throwable c = e;
        while (c != null && !(c instanceof LossScaleException)) {
            c = c.getCause();
        }
        assertTrue(c instanceof LossScaleException, "cause chain must hold the LossScaleException: " + e);
        assertTrue(e.getMessage().contains("rank "), e.getMessage());
        assertTrue(c.getMessage().contains("minimum"), c.getMessage());
        assertSame(own, ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
        assertFalse(java.util.Arrays.equals(initial, net.params().toFloatVector()), "step 0 was applied");
    }

    /** The ledger reports what each precision holds: FLOAT compute copy and gradients (4 B), fp32 master shards. */
    @Test
    void ledgerReportsTheBytesEachPrecisionHolds() {
        MultiLayerNetwork net = TestNets.blobNet();
        long psi = net.numParams();
        DeepSpeedConfig fp16 = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"zero_optimization\": {\"stage\": 2},"
                + " \"fp16\": {\"enabled\": true}}");
        DeepSpeedConfig fp32 = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"zero_optimization\": {\"stage\": 2}}");
        long masterTotal = 0;
        List<LedgerSnapshot> mixed;
        List<LedgerSnapshot> plain;
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(fp16).worldSize(2).build()) {
            mixed = t.memoryReport();
        }
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(fp32).worldSize(2).build()) {
            plain = t.memoryReport();
        }
        for (int r = 0; r < 2; r++) {
            LedgerSnapshot m = mixed.get(r);
            LedgerSnapshot p = plain.get(r);
            // CPU: the network computes in FLOAT, so the fp16 compute copy really holds 4 B per parameter
            assertEquals(4 * psi, m.bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE));
            assertEquals(p.bytes(MemoryCategory.GRADIENTS), m.bytes(MemoryCategory.GRADIENTS));
            assertEquals(0, p.bytes(MemoryCategory.MASTER_WEIGHTS));
            masterTotal += m.bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DEVICE);
        }
        assertEquals(4 * psi, masterTotal, "the fp32 master is partitioned: the ranks' shards sum to 4 psi bytes");
    }

    @Test
    void refusalsNameTheKey() {
        DeepSpeedConfig bn = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"bf16\": {\"enabled\": true}}");
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> ZeroTrainer.builder(batchNormNet()).config(bn).worldSize(2).build());
        assertTrue(b.getMessage().contains("bf16.enabled"), b.getMessage());
    }

    /**
     * Unweighted loss and a ReLU hidden layer: inputs of 1e8 give hidden activations of about 1e8 and output-layer
     * gradients of that order, far above fp16's 65504 at any scale >= 1 (a tanh layer would saturate and hide them).
     */
    private static MultiLayerNetwork overflowNet() {
        return TestNets.blobNet(1.0, org.nd4j.linalg.activations.Activation.RELU);
    }

    private static MultiLayerNetwork batchNormNet() {
        MultiLayerNetwork net = new MultiLayerNetwork(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                .list()
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(8).nOut(4).build())
                .layer(new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().nOut(4).build())
                .layer(new OutputLayer.Builder().nIn(4).nOut(3).build())
                .build());
        net.init();
        return net;
    }

    private static List<DataSet> withHugeInputs(List<DataSet> data) {
        List<DataSet> out = new ArrayList<>(data);
        for (int s : HUGE) {
            out.set(s, huge(out.get(s)));
        }
        return out;
    }

    /** The batch with rank 1's half (the second 16 examples) scaled to 1e8: only one rank overflows. */
    private static DataSet huge(DataSet d) {
        DataSet c = d.copy();
        c.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(BATCH / 2, BATCH),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).muli(1e8);
        return c;
    }

    /** Records, after each step, the user's parameters, DL4J's iteration argument and the skipped flag. */
    private static final class Recorder extends BaseTrainingListener {
        ZeroTrainer trainer;
        float[] initial;
        final List<float[]> params = new ArrayList<>();
        final List<Integer> iterations = new ArrayList<>();
        final List<Boolean> skipped = new ArrayList<>();

        @Override
        public void onEpochStart(Model model) {
            initial = model.params().toFloatVector();
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            params.add(model.params().toFloatVector());
            iterations.add(iteration);
            skipped.add(trainer.lastStepSkipped());
        }
    }
}
