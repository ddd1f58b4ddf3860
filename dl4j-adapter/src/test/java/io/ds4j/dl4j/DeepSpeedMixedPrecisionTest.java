package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.monitor.CsvMonitor;
import io.ds4j.precision.Bf16;
import io.ds4j.precision.Fp16;
import io.ds4j.precision.LossScaleException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * fp16/bf16 inside DL4J's own {@code fit()} ({@link DeepSpeed#initialize}, world size 1): the same training as
 * {@link ZeroTrainer} at world size 1 (bit-identical parameters: the same roundings, the same unscaling and the same
 * updater on the same fp32 master), close to fp32, the network computing on 16-bit values, overflowing steps skipped
 * with DeepSpeed's loss-scale trajectory, and a normal fp32 DL4J model after {@code close()}.
 */
class DeepSpeedMixedPrecisionTest {

    private static final int BATCH = 32;
    private static final String BASE = "{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0,"
            + " \"zero_optimization\": {\"stage\": 2}";

    @Test
    void fp16InsideFitEqualsZeroTrainerAndTracksFp32() {
        // the loss is weighted 1e-6 (TestNets.blobNet): without the scale 2^16 the fp16 gradients
        // would underflow, so matching fp32 within 2% shows the scale is applied and removed
        checkAgainstZeroTrainer(", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 16}}", Fp16::round, 0.02);
    }

    @Test
    void bf16InsideFitEqualsZeroTrainerAndTracksFp32() {
        // bf16 keeps 8 significant bits: the loss stays within 5% of fp32's (MixedPrecisionTrainingTest's bound)
        checkAgainstZeroTrainer(", \"bf16\": {\"enabled\": true}}", Bf16::round, 0.05);
    }

    private static void checkAgainstZeroTrainer(String precision, UnaryOperator<Float> round, double lossTolerance) {
        List<DataSet> data = TestNets.blobs(12, BATCH, 7);
        DataSet all = DataSet.merge(data);
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(BASE + precision);
        MultiLayerNetwork viaZero = TestNets.blobNet();
        try (ZeroTrainer t = ZeroTrainer.builder(viaZero).config(cfg).worldSize(1).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data), 3);
        }
        MultiLayerNetwork net = TestNets.blobNet();
        ComputeCopyRecorder rec = new ComputeCopyRecorder();
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, cfg)) {
            net.addListeners(rec);
            for (int epoch = 0; epoch < 3; epoch++) {
                net.fit(new ExistingDataSetIterator(data));
            }
            assertEquals(3 * data.size(), e.steps());
            assertEquals(0, e.skippedSteps());
            assertEquals(0, e.repairedSteps(), "ordinary steps: DL4J's subtraction lands on the rounded master");
        }
        assertEquals(3 * data.size(), rec.params.size());
        for (float[] p : rec.params) {   // what the network computes on: values of the 16-bit format
            for (float v : p) {
                assertEquals(round.apply(v), v, 0f, "a compute-copy value must be exactly representable");
            }
        }
        assertArrayEquals(viaZero.params().toFloatVector(), net.params().toFloatVector(), 0f,
                "fp32 master after close() vs ZeroTrainer's at world size 1");
        MultiLayerNetwork fp32 = TestNets.blobNet();
        try (DeepSpeedEngine e = DeepSpeed.initialize(fp32, DeepSpeedConfig.parse(BASE + "}"))) {
            for (int epoch = 0; epoch < 3; epoch++) {
                fp32.fit(new ExistingDataSetIterator(data));
            }
        }
        double ref = fp32.score(all);
        assertTrue(ref < 0.5 * TestNets.blobNet().score(all), "fp32 must learn: " + ref);
        assertEquals(ref, net.score(all), lossTolerance * ref, "mixed precision vs fp32 loss");
    }

    /**
     * A ComputationGraph (convolution, l2 on a dense layer: the regularization reads the fp32 master) with fp16, and
     * a MultiLayerNetwork with DeepSpeed's fused Adam (optimizer section) with fp16: bit-identical to ZeroTrainer at
     * world size 1 after 8 steps.
     */
    @Test
    void graphAndFusedOptimizerEqualZeroTrainer() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true,"
                + " \"initial_scale_power\": 12}}");
        List<DataSet> images = TestNets.imageData(8, 8, 3);
        org.deeplearning4j.nn.graph.ComputationGraph viaZero = TestNets.convGraph(5);
        try (ZeroTrainer t = ZeroTrainer.builder(viaZero).config(cfg).worldSize(1).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(images));
        }
        org.deeplearning4j.nn.graph.ComputationGraph g = TestNets.convGraph(5);
        try (DeepSpeedEngine e = DeepSpeed.initialize(g, cfg)) {
            g.fit(new ExistingDataSetIterator(images));
            assertEquals(8, e.steps());
        }
        assertArrayEquals(viaZero.params().toFloatVector(), g.params().toFloatVector(), 0f, "graph, fp16");
        assertFalse(java.util.Arrays.equals(TestNets.convGraph(5).params().toFloatVector(),
                g.params().toFloatVector()), "the graph must train");
        DeepSpeedConfig adam = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true},"
                + " \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01}}, \"gradient_clipping\": 1.0}");
        List<DataSet> dense = TestNets.denseData(8, 8, 4);
        MultiLayerNetwork mlnZero = TestNets.sgdMln(6, new org.nd4j.linalg.learning.config.Adam(0.01));
        try (ZeroTrainer t = ZeroTrainer.builder(mlnZero).config(adam).worldSize(1).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(dense));
        }
        MultiLayerNetwork mln = TestNets.sgdMln(6, new org.nd4j.linalg.learning.config.Adam(0.01));
        try (DeepSpeedEngine e = DeepSpeed.initialize(mln, adam)) {
            mln.fit(new ExistingDataSetIterator(dense));
        }
        assertArrayEquals(mlnZero.params().toFloatVector(), mln.params().toFloatVector(), 0f, "fused Adam, fp16");
        assertFalse(java.util.Arrays.equals(TestNets.sgdMln(6, new org.nd4j.linalg.learning.config.Adam(0.01))
                .params().toFloatVector(), mln.params().toFloatVector()), "the network must train");
    }

    /**
     * A step that moves parameters from 1000 to about 0.001 (DeepSpeed's AdamW, lr 1, weight_decay 0.999999; zero
     * input features give the first layer's weights a zero gradient, so only the decay moves them). The master is
     * computed by an fp32 subtraction from 1000, so it lies on fp32's grid there (2^-14) and DL4J's
     * {@code 1000 - (1000 - r)} lands exactly on r = round16(master): no repair is needed, the user's listener sees
     * exactly round16(master), and the master equals ZeroTrainer's.
     */
    @Test
    void farJumpsLandExactlyOnTheRoundedMaster() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 32, \"fp16\": {\"enabled\": true,"
                + " \"initial_scale_power\": 8}, \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 1.0,"
                + " \"weight_decay\": 0.999999}}}");
        DataSet zeros = TestNets.blobs(1, BATCH, 2).get(0);
        zeros.getFeatures().assign(0);
        MultiLayerNetwork viaZero = farNet();
        try (ZeroTrainer t = ZeroTrainer.builder(viaZero).config(cfg).worldSize(1).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(List.of(zeros)));
        }
        MultiLayerNetwork net = farNet();
        ComputeCopyRecorder rec = new ComputeCopyRecorder();
        long repaired;
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, cfg)) {
            net.addListeners(rec);
            net.fit(zeros);
            assertEquals(0, e.skippedSteps(), "scale 2^8 must not overflow");
            repaired = e.repairedSteps();
        }
        float[] master = net.params().toFloatVector();
        assertArrayEquals(viaZero.params().toFloatVector(), master, 0f, "master vs ZeroTrainer at world size 1");
        float[] seen = rec.params.get(0);
        for (int i = 0; i < master.length; i++) {
            assertEquals(Fp16.round(master[i]), seen[i], 0f, "element " + i + ": the compute copy is round16(master)");
        }
        assertEquals(0.0010375977f, master[0], 0f, "1000 - fl(0.999999 * 1000): 17 x 2^-14");
        assertEquals(0, repaired, "every element's fp32 subtraction was exact");
    }

    /**
     * The update left for DL4J: exact where {@code p - (p - r) == r} in fp32 (both 16-bit values within about 2^13
     * of each other in magnitude), reported inexact otherwise (then the listener writes r).
     */
    @Test
    void updateForTheSolverIsExactOrReported() {
        float tiny = (float) Math.scalb(1.0, -20);   // an fp16 value 30 binades below 1000
        float[] p = {1000f, 1000f, 0.5f, -3f, 0f};
        float[] r = {0.0010375977f, 999.5f, 0.25f, 2f, 65504f};
        float[] u = new float[p.length];
        assertFalse(LocalStep.updateLandingOn(p, r, u), "all exact");
        for (int i = 0; i < p.length; i++) {
            assertEquals(r[i], p[i] - u[i], 0f, "element " + i);
        }
        assertTrue(LocalStep.updateLandingOn(new float[] {1000f}, new float[] {tiny}, new float[1]),
                "1000 - (1000 - 2^-20) rounds away from 2^-20 in fp32");
    }

    private static MultiLayerNetwork farNet() {
        MultiLayerNetwork net = new MultiLayerNetwork(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                .seed(1).dataType(org.nd4j.linalg.api.buffer.DataType.FLOAT)
                .updater(new org.nd4j.linalg.learning.config.Adam(1.0)).list()
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(8).nOut(4)
                        .activation(org.nd4j.linalg.activations.Activation.TANH).build())
                .layer(new OutputLayer.Builder().nIn(4).nOut(3)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                .build());
        net.init();
        net.params().assign(1000);
        return net;
    }

    /** Steps 1, 2, 5, 9, 10, 11 get inputs of 1e8 (whole batch): the fp16 gradient overflows at any scale >= 1. */
    private static final Set<Integer> HUGE = Set.of(1, 2, 5, 9, 10, 11);
    /**
     * DeepSpeed's {@code DynamicLossScaler} with initial_scale_power 10, loss_scale_window 2, hysteresis 2 (not
     * consecutive), worked out by hand in {@link MixedPrecisionOverflowTest}: the scale each of the 17 steps uses.
     */
    private static final double[] SCALE_USED = {1024, 1024, 1024, 512, 512, 512, 256, 256, 256, 512, 512, 256, 128,
        128, 128, 256, 256};

    /**
     * Overflow injected by data: the skipped steps leave the parameters unchanged, the scale follows DeepSpeed's
     * trajectory, the CSV monitor records it, and (the network's DL4J Adam with a WarmupLR schedule) the result is
     * bit-identical to ZeroTrainer at world size 1, which does not advance the schedule on skipped steps.
     */
    @Test
    void overflowSkipsStepsWithDeepSpeedsTrajectory(@TempDir Path dir) throws Exception {
        String cfgText = "{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0, \"fp16\": {\"enabled\":"
                + " true, \"initial_scale_power\": 10, \"loss_scale_window\": 2, \"hysteresis\": 2}, \"scheduler\":"
                + " {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0.002, \"warmup_max_lr\": 0.01,"
                + " \"warmup_num_steps\": 20, \"warmup_type\": \"linear\"}}";
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(cfgText + ", \"csv_monitor\": {\"enabled\": true,"
                + " \"output_path\": \"" + dir.toString().replace("\\", "/") + "\", \"job_name\": \"k\"}}");
        List<DataSet> data = new ArrayList<>(TestNets.blobs(SCALE_USED.length, BATCH, 3));
        for (int s : HUGE) {
            DataSet c = data.get(s).copy();
            c.getFeatures().muli(1e8);
            data.set(s, c);
        }
        MultiLayerNetwork viaZero = overflowNet();
        DeepSpeedConfig noMonitor = DeepSpeedConfig.parse(cfgText + "}");
        try (ZeroTrainer t = ZeroTrainer.builder(viaZero).config(noMonitor).worldSize(1).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        MultiLayerNetwork net = overflowNet();
        ComputeCopyRecorder rec = new ComputeCopyRecorder();
        List<String> logged = new ArrayList<>();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(ZeroTrainer.class.getName());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(h);
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, cfg)) {
            net.addListeners(rec);
            float[] start = net.params().toFloatVector();
            try {
                net.fit(new ExistingDataSetIterator(data));
            } finally {
                jul.removeHandler(h);
            }
            List<String> overflow = logged.stream().filter(m -> m.contains("OVERFLOW!")).toList();
            assertEquals(HUGE.size(), overflow.size(), "one OVERFLOW line per skipped step: " + logged);
            // step 1: hysteresis 2 -> 1, scale kept; step 2: hysteresis exhausted, 1024 -> 512
            assertTrue(overflow.get(0).contains("Attempted loss scale: 1024, but hysteresis is 2"), overflow.get(0));
            assertTrue(overflow.get(1).contains("Attempted loss scale: 1024, reducing to 512"), overflow.get(1));
            assertEquals(HUGE.size(), e.skippedSteps());
            assertEquals(512, e.lossScale().value(), "scale after step 16 (stable 4: grows 256 -> 512)");
            for (int s = 0; s < SCALE_USED.length; s++) {
                float[] before = s == 0 ? start : rec.params.get(s - 1);
                assertEquals(HUGE.contains(s), java.util.Arrays.equals(before, rec.params.get(s)),
                        "parameters unchanged exactly on the skipped steps, step " + s);
            }
        }
        assertArrayEquals(viaZero.params().toFloatVector(), net.params().toFloatVector(), 0f,
                "fp32 master vs ZeroTrainer at world size 1 (same skips, same schedule steps)");
        Path logs = dir.resolve("k");
        List<String> scale = Files.readAllLines(logs.resolve(CsvMonitor.fileName(CsvMonitor.LOSS_SCALE)));
        List<String> skipped = Files.readAllLines(logs.resolve(CsvMonitor.fileName(CsvMonitor.SKIPPED_STEP)));
        assertEquals(SCALE_USED.length + 1, scale.size());
        for (int s = 0; s < SCALE_USED.length; s++) {
            long samples = (long) (s + 1) * BATCH;   // DeepSpeed's global_samples after the step
            assertEquals(samples + "," + SCALE_USED[s], scale.get(s + 1));
            assertEquals(samples + "," + (HUGE.contains(s) ? 1 : 0), skipped.get(s + 1));
        }
    }

    /** Scale 1 = min_loss_scale, hysteresis 1: the overflow at step 1 stops fit() with DeepSpeed's message. */
    @Test
    void lossScaleAtTheMinimumSurfacesFromFit() {
        MultiLayerNetwork net = overflowNet();
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"fp16\": {\"enabled\":"
                + " true, \"initial_scale_power\": 0, \"hysteresis\": 1, \"min_loss_scale\": 1}}");
        List<DataSet> data = new ArrayList<>(TestNets.blobs(3, BATCH, 5));
        data.get(1).getFeatures().muli(1e8);
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, cfg)) {
            RuntimeException ex = assertThrows(RuntimeException.class,
                    () -> net.fit(new ExistingDataSetIterator(data)));
            Throwable c = ex;
            while (c != null && !(c instanceof LossScaleException)) {
                c = c.getCause();
            }
            assertTrue(c instanceof LossScaleException, "cause chain must hold the LossScaleException: " + ex);
            assertTrue(c.getMessage().contains("minimum"), c.getMessage());
        }
    }

    /**
     * close() gives back a normal fp32 DL4J model: its own loss function objects, a plain updater, the fp32 master as
     * parameters (mostly not fp16 values), and a ModelSerializer round trip that reproduces parameters and JSON.
     */
    @Test
    void closeRestoresANormalModel(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = TestNets.blobNet();
        String json = net.getLayerWiseConfigurations().toJson();
        ILossFunction own = ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn();
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(BASE + ", \"fp16\": {\"enabled\": true}}");
        try (DeepSpeedEngine e = DeepSpeed.initialize(net, cfg)) {
            assertFalse(own == ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
            net.fit(new ExistingDataSetIterator(TestNets.blobs(6, BATCH, 11)));
            assertEquals(1, net.getListeners().size(), "the compute-copy listener is installed while open");
        }
        assertSame(own, ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
        assertEquals(0, net.getListeners().size(), "the compute-copy listener is removed");
        assertEquals(MultiLayerUpdater.class, net.getUpdater().getClass());
        String after = net.getLayerWiseConfigurations().toJson();   // differs from json only in the counts
        assertFalse(after.contains("ScaledLoss"), after);
        assertEquals(json.replaceAll("\"(iterationCount|epochCount)\" : \\d+", ""),
                after.replaceAll("\"(iterationCount|epochCount)\" : \\d+", ""));
        float[] p = net.params().toFloatVector();
        int notHalf = 0;
        for (float v : p) {
            notHalf += Fp16.round(v) != v ? 1 : 0;
        }
        // the fp32 master moved by Adam's small updates is almost never an fp16 value (11 significant bits)
        assertTrue(notHalf > p.length / 2, "expected fp32 master values, " + notHalf + " of " + p.length);
        File f = dir.resolve("m.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        MultiLayerNetwork back = ModelSerializer.restoreMultiLayerNetwork(f, true);
        assertArrayEquals(p, back.params().toFloatVector(), 0f);
        assertEquals(after, back.getLayerWiseConfigurations().toJson());
    }

    @Test
    void optimizerOffloadStaysRefusedByKey() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true},"
                + " \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01}}, \"zero_optimization\":"
                + " {\"stage\": 2, \"offload_optimizer\": {\"device\": \"cpu\"}}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeepSpeed.initialize(TestNets.blobNet(), cfg));
        assertTrue(e.getMessage().contains("offload_optimizer.device"), e.getMessage());
    }

    /**
     * Inside DL4J's own fit() the user's network computes in its own type: {@code from(config)} gives FLOAT compute
     * (also on CUDA), and a precision resolved to HALF compute is refused with the way out, leaving the network
     * untouched.
     */
    @Test
    void halfComputeIsRefusedInsideFit() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true}}");
        EnginePrecision p = EnginePrecision.from(cfg, 1);
        assertFalse(p.halfCompute());
        MultiLayerNetwork net = TestNets.blobNet();
        float[] before = net.params().toFloatVector();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeepSpeed.initialize(net,
                EngineOptions.from(cfg, 1), p.resolve(EnginePrecision.Compute.HALF, false, null)));
        assertTrue(e.getMessage().contains("ZeroTrainer") && e.getMessage().contains("half"), e.getMessage());
        assertArrayEquals(before, net.params().toFloatVector(), 0f);
        assertEquals(DataType.FLOAT, net.params().dataType());
    }

    /** Unweighted loss and ReLU: inputs of 1e8 give gradients far above fp16's 65504 (MixedPrecisionOverflowTest). */
    private static MultiLayerNetwork overflowNet() {
        return TestNets.blobNet(1.0, org.nd4j.linalg.activations.Activation.RELU);
    }

    /** Records the network's parameters (its compute copy) after each iteration, as a user's listener sees them. */
    private static final class ComputeCopyRecorder extends BaseTrainingListener {
        final List<float[]> params = new ArrayList<>();

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            params.add(model.params().toFloatVector());
        }
    }
}
