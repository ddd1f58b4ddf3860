package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.dl4j.EnginePrecision.Compute;
import io.ds4j.precision.Fp16;
import io.ds4j.precision.Precision;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * fp16 with HALF compute: the ranks' networks are HALF networks (what {@code Compute.AUTO} picks on the CUDA backend),
 * forced here on the CPU backend, whose HALF arithmetic is slow but correct, on networks small enough for CI.
 */
class HalfComputeTest {

    private static final int BATCH = TestNets.BLOB_BATCH;
    private static final List<DataSet> data = TestNets.BLOB_BATCHES;
    private static final DataSet all = TestNets.BLOB_ALL;

    @Test
    void autoIsHalfOnlyForFp16OnCuda() {
        EnginePrecision fp16 = precision("\"fp16\": {\"enabled\": true}");
        EnginePrecision bf16 = precision("\"bf16\": {\"enabled\": true}");
        EnginePrecision fp32 = precision("\"zero_optimization\": {\"stage\": 1}");
        assertFalse(EnginePrecision.cudaBackend(), "the tests run on nd4j-native");
        assertEquals(Precision.FP32, fp16.policy().compute(), "EnginePrecision.of computes in FLOAT");
        assertEquals(Precision.FP16, fp16.resolve(Compute.AUTO, true, null).policy().compute());
        assertEquals(Precision.FP32, fp16.resolve(Compute.AUTO, false, null).policy().compute());
        assertEquals(Precision.FP16, fp16.resolve(Compute.HALF, false, null).policy().compute());
        assertEquals(Precision.FP32, fp16.resolve(Compute.FLOAT, true, null).policy().compute());
        assertEquals(Precision.FP32, bf16.resolve(Compute.AUTO, true, null).policy().compute(), "bf16: FLOAT");
        assertEquals(Precision.FP32, fp32.resolve(Compute.AUTO, true, null).policy().compute());
        assertTrue(fp16.resolve(Compute.HALF, false, null).halfCompute());
        assertEquals(2, fp16.resolve(Compute.HALF, false, null).policy().paramBytes());
    }

    @Test
    void halfWhereItCannotRunIsRefusedByKey() {
        EnginePrecision bf16 = precision("\"bf16\": {\"enabled\": true}");
        DeepSpeedConfigException noFp16 = assertThrows(DeepSpeedConfigException.class,
                () -> bf16.resolve(Compute.HALF, true, null));
        assertTrue(noFp16.getMessage().contains("fp16.enabled") && noFp16.getMessage().contains("bf16"),
                noFp16.getMessage());
        DeepSpeedConfig fp32 = DeepSpeedConfig.parse("{\"train_batch_size\": 32}");
        DeepSpeedConfigException viaTrainer = assertThrows(DeepSpeedConfigException.class,
                () -> ZeroTrainer.builder(TestNets.blobNet()).config(fp32).worldSize(2)
                        .compute(Compute.HALF).build());
        assertTrue(viaTrainer.getMessage().contains("fp16.enabled"), viaTrainer.getMessage());
        assertEquals(Compute.HALF, Compute.parse(" Half ", "x"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Compute.parse("fp16", "system property ds4j.compute"));
        assertTrue(bad.getMessage().contains("ds4j.compute") && bad.getMessage().contains("auto, half or float"),
                bad.getMessage());
    }

    @Test
    void systemPropertyChoosesTheComputeType() {
        String before = System.getProperty(EnginePrecision.PROPERTY);
        System.setProperty(EnginePrecision.PROPERTY, "half");
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.blobNet()).config(fp16Config(2, ""))
                .worldSize(2).build()) {
            assertTrue(t.precision().halfCompute());
            assertEquals(List.of(DataType.HALF, DataType.HALF), engine(t).computeTypes());
        } finally {
            restore(before);
        }
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.blobNet()).config(fp16Config(2, ""))
                .worldSize(2).build()) {
            assertFalse(t.precision().halfCompute(), "without the property the CPU backend computes in FLOAT");
            assertEquals(List.of(DataType.FLOAT, DataType.FLOAT), engine(t).computeTypes());
        }
    }

    /**
     * The end-to-end check with HALF networks: the 1e-6-weighted task of {@link MixedPrecisionTrainingTest},
     * whose gradients sit below fp16's range. With the dynamic scale (2^16) the HALF networks end within 2% of
     * fp32's loss; with a static scale of 1 the loss gradient itself (1e-6 / 32 per example, below fp16's smallest
     * subnormal 6e-8) rounds to zero in HALF and training falls visibly behind.
     */
    @Test
    void halfComputeWithLossScalingTracksFp32AndWithoutItLosesSmallGradients() {
        double start = TestNets.blobNet().score(all);
        double fp32 = train(TestNets.blobNet(), "", Compute.FLOAT);
        double half = train(TestNets.blobNet(), ", \"fp16\": {\"enabled\": true, "
                + "\"initial_scale_power\": 16}", Compute.HALF);
        double noScale = train(TestNets.blobNet(), ", \"fp16\": {\"enabled\": true, \"loss_scale\": 1}",
                Compute.HALF);
        assertTrue(fp32 < 0.5 * start, "fp32 must learn: " + start + " -> " + fp32);
        assertEquals(fp32, half, 0.02 * fp32, "HALF compute, scale 2^16, vs fp32");
        assertTrue(noScale > 1.5 * fp32, "HALF compute without loss scaling must lose: fp32 " + fp32 + ", scale 1 "
                + noScale);
        System.out.printf("half compute e2e: start %.6g fp32 %.6g fp16-half %.6g (rel %.5f) fp16-half-scale1 %.6g%n",
                start, fp32, half, Math.abs(half - fp32) / fp32, noScale);
    }

    /**
     * Stages 0, 1 and 2 with HALF networks on 2 ranks: after every step every rank's HALF network holds the same
     * values (the gathered compute copy), the user's network follows rank 0's during fit and gets fp32 masters and
     * its own loss function when fit ends, and training matches FLOAT compute on fp16 values (the CPU emulation) to
     * within HALF arithmetic's error. Tolerances: every HALF operation rounds to 2^-11 relative (4.9e-4); the
     * forward and backward of this 8-32-3 net pass about ten such roundings plus sums over 16 examples and 32 hidden
     * units, so gradients differ by about 1e-3 relative (first-step norm: within 1%) and the loss after 36 Adam
     * steps, which averages those differences, within 2%.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void everyStageKeepsRanksInStepAndTracksFloatCompute(int stage) {
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.TANH);
        ILossFunction own = ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn();
        MultiLayerNetwork ref = TestNets.blobNet(1.0, Activation.TANH);
        double firstHalf;
        double firstFloat;
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(fp16Config(stage, "")).worldSize(2).threadsPerRank(1)
                .compute(Compute.HALF).build();
             ZeroTrainer f = ZeroTrainer.builder(ref).config(fp16Config(stage, "")).worldSize(2).threadsPerRank(1)
                .compute(Compute.FLOAT).build()) {
            t.fit(new ExistingDataSetIterator(data.subList(0, 1)));
            f.fit(new ExistingDataSetIterator(data.subList(0, 1)));
            firstHalf = t.lastGradientNorm();
            firstFloat = f.lastGradientNorm();
            List<float[]> copies = engine(t).computeCopies();
            assertArrayEquals(copies.get(0), copies.get(1), "the ranks' HALF networks must hold the same values");
            t.fit(new ExistingDataSetIterator(data), 3);
            f.fit(new ExistingDataSetIterator(data), 3);
            copies = engine(t).computeCopies();
            assertArrayEquals(copies.get(0), copies.get(1), "after 37 steps at stage " + stage);
            assertEquals(0, t.skippedSteps());
            assertTrue(Double.isNaN(t.flushedGradientFraction()), "no fp32 gradient to compare with in HALF");
        }
        assertEquals(firstFloat, firstHalf, 0.01 * firstFloat, "first-step gradient norm, HALF vs FLOAT compute");
        assertEquals(DataType.FLOAT, net.params().dataType());
        assertSame(own, ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
        int notHalf = 0;
        for (float v : net.params().toFloatVector()) {
            notHalf += Fp16.round(v) != v ? 1 : 0;
        }
        assertTrue(notHalf > net.numParams() / 2, "the user's network must hold the fp32 masters: " + notHalf);
        double lossHalf = net.score(all);
        double lossFloat = ref.score(all);
        assertEquals(lossFloat, lossHalf, 0.02 * lossFloat, "loss after 37 steps, stage " + stage);
        System.out.printf("half vs float compute, stage %d: first norm %.6g vs %.6g, loss %.6g vs %.6g%n", stage,
                firstHalf, firstFloat, lossHalf, lossFloat);
    }

    /**
     * HALF networks of the layer families the parity suite uses (dense with per-layer updaters, l2, weight decay and
     * per-layer clipping; convolution; LSTM; MultiLayerNetwork and graphs), through the network's own DL4J updaters
     * and through DeepSpeed's Adam section with 2 accumulation steps and cpu offload, ZeRO-2 on 2 ranks: the loss
     * after 16 steps is within 2% of FLOAT compute on fp16 values (same reasoning as above: HALF arithmetic perturbs
     * each gradient by about 1e-3 relative), with no skipped step. The scale is 2^8: at 2^16 the HALF LSTM's
     * backward pass overflows on its first steps (a real fp16 overflow that the FLOAT emulation, which rounds only
     * the final gradient, does not have) and the skipped steps would make the runs incomparable.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dense", "conv", "lstm", "dense+adam", "lstm+adam"})
    void layerFamiliesAndOptimizerPathsTrackFloatCompute(String kind) {
        boolean adam = kind.endsWith("+adam");
        String family = kind.replace("+adam", "");
        List<DataSet> batches = switch (family) {
            case "conv" -> TestNets.imageData(8, 8, 3);
            case "lstm" -> TestNets.sequenceData(8, 8, 3);
            default -> TestNets.denseData(8, 8, 3);
        };
        String extra = adam ? ", \"gradient_accumulation_steps\": 2, \"optimizer\": {\"type\": \"Adam\", \"params\":"
                + " {\"lr\": 0.005}}" : "";
        String offload = adam ? ", \"offload_optimizer\": {\"device\": \"cpu\"}" : "";
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"gradient_clipping\": 1.0,"
                + " \"zero_optimization\": {\"stage\": 2" + offload + "}, \"fp16\": {\"enabled\": true,"
                + " \"initial_scale_power\": 8}" + extra
                + "}");
        double[] loss = new double[2];
        for (Compute c : new Compute[] {Compute.HALF, Compute.FLOAT}) {
            org.deeplearning4j.nn.api.Model net = switch (family) {
                case "conv" -> TestNets.convGraph(5);
                case "lstm" -> TestNets.lstmGraph(5);
                default -> adam ? TestNets.sgdMln(5, new org.nd4j.linalg.learning.config.Adam(1e-2))
                        : TestNets.denseMln(5);
            };
            try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).compute(c)
                    .build()) {
                t.fit(new ExistingDataSetIterator(batches), 2);
                assertEquals(0, t.skippedSteps(), kind + " " + c);
                assertEquals(c == Compute.HALF ? DataType.HALF : DataType.FLOAT, engine(t).computeTypes().get(1));
            }
            DataSet merged = DataSet.merge(batches);
            loss[c == Compute.HALF ? 0 : 1] = net instanceof MultiLayerNetwork m ? m.score(merged)
                    : ((org.deeplearning4j.nn.graph.ComputationGraph) net).score(merged);
        }
        assertTrue(Double.isFinite(loss[0]), kind + ": " + loss[0]);
        assertEquals(loss[1], loss[0], 0.02 * loss[1], kind + ": HALF vs FLOAT compute");
        System.out.printf("half vs float compute, %s: loss %.6g vs %.6g%n", kind, loss[0], loss[1]);
    }

    /**
     * Three ranks, 2 accumulation steps and a last global batch smaller than the others (7 examples where the rest have
     * 12): micro-batches of different sizes, so each backward pass must carry its own {@code scale / m}. HALF ends
     * within 2% of FLOAT compute on fp16 values (the reasoning above), the ranks' HALF networks identical.
     */
    @Test
    void unevenMicroBatchesOnThreeRanksTrackFloatCompute() {
        List<DataSet> batches = new java.util.ArrayList<>(TestNets.denseData(5, 12, 4));
        batches.add(TestNets.denseData(1, 7, 5).get(0));
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 12, \"gradient_accumulation_steps\": 2,"
                + " \"zero_optimization\": {\"stage\": 2}, \"fp16\": {\"enabled\": true, \"initial_scale_power\": 8}}");
        double[] loss = new double[2];
        for (Compute c : new Compute[] {Compute.HALF, Compute.FLOAT}) {
            MultiLayerNetwork net = TestNets.denseMln(9);
            try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(3).threadsPerRank(1).compute(c)
                    .build()) {
                t.fit(new ExistingDataSetIterator(batches), 2);
                assertEquals(0, t.skippedSteps());
                List<float[]> copies = engine(t).computeCopies();
                if (c == Compute.HALF) { // (with FLOAT compute rank 0 is the user's network: fp32 masters after fit)
                    assertArrayEquals(copies.get(0), copies.get(1));
                    assertArrayEquals(copies.get(0), copies.get(2));
                }
            }
            loss[c == Compute.HALF ? 0 : 1] = net.score(DataSet.merge(batches));
        }
        assertEquals(loss[1], loss[0], 0.02 * loss[1], "HALF vs FLOAT compute, 3 ranks, uneven micro-batches");
        System.out.printf("half vs float compute, 3 ranks uneven: loss %.6g vs %.6g%n", loss[0], loss[1]);
    }

    /**
     * SameDiff layers (here DL4J's SelfAttentionLayer) give NaN outputs as HALF networks on ND4J 1.0.0-M2.1 (seen:
     * every step overflowed until the scale hit its floor), so {@code auto} keeps such a network in FLOAT even on
     * CUDA and {@code half} is refused naming the layer, before any training.
     */
    @Test
    void sameDiffLayersStayInFloat() {
        String blocker = Replica.halfBlocker(TestNets.attentionGraph(5));
        assertTrue(blocker != null && blocker.contains("attn") && blocker.contains("SelfAttentionLayer"), blocker);
        assertEquals(null, Replica.halfBlocker(TestNets.lstmGraph(5)));
        assertEquals(null, Replica.halfBlocker(TestNets.denseMln(5)));
        EnginePrecision fp16 = precision("\"fp16\": {\"enabled\": true}");
        assertFalse(fp16.resolve(Compute.AUTO, true, blocker).halfCompute(), "auto on CUDA: FLOAT for this net");
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZeroTrainer.builder(TestNets.attentionGraph(5)).config(cfg).worldSize(2).compute(Compute.HALF)
                        .build());
        assertTrue(e.getMessage().contains("attn") && e.getMessage().contains("compute type"), e.getMessage());
    }

    /**
     * What each rank holds with HALF networks, derived from the arrays the engine allocates: the compute copy is a
     * HALF network (2 bytes per parameter instead of 4), the fp32 master is partitioned as before, the accumulated
     * gradient is the same FLOAT buffer, and the buffers hold, besides what FLOAT compute holds (the gradient bucket
     * and a FLOAT gradient scratch of the largest layer), a HALF gradient scratch of the largest layer (2 bytes per
     * element). Until issue 12 stage 2 kept DL4J's flat gradient view, and the expectation was "DL4J's FLOAT view
     * (4 psi) traded for a HALF one (2 psi) plus the range's own FLOAT gradient"; stage 2 has no flat view now.
     */
    @Test
    void ledgerReportsWhatHalfNetworksHold() {
        long psi = TestNets.blobNet().numParams();
        List<LedgerSnapshot> half;
        List<LedgerSnapshot> emulated;
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.blobNet()).config(fp16Config(2, ""))
                .worldSize(2).compute(Compute.HALF).build()) {
            half = t.memoryReport();
        }
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.blobNet()).config(fp16Config(2, ""))
                .worldSize(2).compute(Compute.FLOAT).build()) {
            emulated = t.memoryReport();
        }
        long masters = 0;
        for (int r = 0; r < 2; r++) {
            LedgerSnapshot h = half.get(r);
            LedgerSnapshot e = emulated.get(r);
            long range = h.bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DEVICE) / 4;
            masters += range;
            assertEquals(2 * psi, h.bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE));
            assertEquals(4 * psi, e.bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE));
            assertEquals(e.bytes(MemoryCategory.MASTER_WEIGHTS), h.bytes(MemoryCategory.MASTER_WEIGHTS));
            assertEquals(e.bytes(MemoryCategory.GRADIENTS), h.bytes(MemoryCategory.GRADIENTS));
            assertEquals(e.bytes(MemoryCategory.OPTIMIZER_STATE), h.bytes(MemoryCategory.OPTIMIZER_STATE));
            assertEquals(e.bytes(MemoryCategory.COMM_BUFFERS) + 2 * largestLayer(TestNets.blobNet()),
                    h.bytes(MemoryCategory.COMM_BUFFERS));
        }
        assertEquals(psi, masters, "the ranks' fp32 masters partition the model");
    }

    private static long largestLayer(MultiLayerNetwork net) {
        long m = 0;
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            m = Math.max(m, l.numParams());
        }
        return m;
    }

    private static double train(MultiLayerNetwork net, String precision, Compute compute) {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0,"
                + " \"zero_optimization\": {\"stage\": 2}" + precision + "}");
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).compute(compute)
                .build()) {
            t.fit(new ExistingDataSetIterator(data), 6);
            assertEquals(compute == Compute.HALF, t.precision().halfCompute());
        }
        return net.score(all);
    }

    private static DeepSpeedConfig fp16Config(int stage, String extra) {
        return DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0,"
                + " \"zero_optimization\": {\"stage\": " + stage + "}, \"fp16\": {\"enabled\": true}" + extra + "}");
    }

    private static EnginePrecision precision(String section) {
        return EnginePrecision.from(DeepSpeedConfig.parse("{\"train_batch_size\": 32, " + section + "}"), 2);
    }

    private static void restore(String before) {
        if (before == null) {
            System.clearProperty(EnginePrecision.PROPERTY);
        } else {
            System.setProperty(EnginePrecision.PROPERTY, before);
        }
    }

    /** The stages 0-2 engine of {@code t}: the ranks' compute copies and types. */
    private static ShardedEngine engine(ZeroTrainer t) {
        return (ShardedEngine) t.engine();
    }
}
