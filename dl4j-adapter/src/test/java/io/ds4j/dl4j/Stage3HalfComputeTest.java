package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.EnginePrecision.Compute;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.dataset.DataSet;

/**
 * fp16 with HALF compute at ZeRO stage 3: each rank's layers are HALF layers bound, one at a time, to a HALF compute
 * scratch; the gathered fp16 parameters are cast into it exactly and each layer's HALF gradient is read exactly
 * before its reduce-scatter. Forced on the CPU backend (what {@code auto} does on CUDA).
 */
class Stage3HalfComputeTest {

    private static final int BATCH = TestNets.BLOB_BATCH;
    private static final List<DataSet> data = TestNets.BLOB_BATCHES;
    private static final DataSet all = TestNets.BLOB_ALL;

    private static String config(int stage, String extra) {
        return "{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": "
                + stage + "}" + extra + "}";
    }

    private static <T extends Model> T train(T net, String json, Compute compute, List<DataSet> batches, int epochs) {
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(2)
                .threadsPerRank(1).compute(compute).build()) {
            assertEquals(compute == Compute.HALF, t.precision().halfCompute());
            t.fit(new ExistingDataSetIterator(batches), epochs);
            assertEquals(0, t.skippedSteps(), "no overflow expected in " + json);
        }
        return net;
    }

    /** The end-to-end check at stage 3: HALF with scale 2^16 within 2% of fp32; scale 1 visibly loses. */
    @Test
    void halfAtStage3TracksFp32AndScale1Loses() {
        double fp32 = train(TestNets.blobNet(), config(3, ""), Compute.FLOAT, data, 6).score(all);
        double half = train(TestNets.blobNet(), config(3, ", \"fp16\": {\"enabled\": true,"
                + " \"initial_scale_power\": 16}"), Compute.HALF, data, 6).score(all);
        double noScale = train(TestNets.blobNet(), config(3, ", \"fp16\": {\"enabled\": true,"
                + " \"loss_scale\": 1}"), Compute.HALF, data, 6).score(all);
        assertEquals(fp32, half, 0.02 * fp32, "HALF at stage 3 vs fp32");
        assertTrue(noScale > 1.5 * fp32, "scale 1 must lose: fp32 " + fp32 + ", HALF unscaled " + noScale);
        System.out.printf("stage3 half e2e: fp32 %.6g half %.6g half-scale1 %.6g%n", fp32, half, noScale);
    }

    /**
     * Stage 3 drives the same HALF layers through the same operations as stage 2's HALF networks (DL4J's own
     * computeGradientAndScore), with the same rounding points after the backward pass; as in FLOAT compute
     * ({@code Stage3MixedPrecisionTest}) only the order of float sums of 16-bit summands over ranks and micro-batches
     * differs, which is exact here. So the stages must agree bit for bit: MultiLayerNetwork with and without
     * accumulation and with {@code offload_param} to cpu, and graphs with convolution and LSTM layers.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mln", "mln+gas2", "mln+offload", "conv", "lstm"})
    void stage3HalfMatchesStage2HalfBitForBit(String kind) {
        String fp16 = ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 8}"
                + (kind.endsWith("gas2") ? ", \"gradient_accumulation_steps\": 2" : "");
        float[][] out = new float[2][];
        for (int k = 0; k < 2; k++) {
            int stage = k == 0 ? 2 : 3;
            Model net = switch (kind) {
                case "conv" -> train(TestNets.convGraph(5), config(stage, fp16).replace(BATCH + ",", "8,"),
                        Compute.HALF, TestNets.imageData(6, 8, 3), 2);
                case "lstm" -> train(TestNets.lstmGraph(5), config(stage, fp16).replace(BATCH + ",", "8,"),
                        Compute.HALF, TestNets.sequenceData(6, 8, 3), 2);
                default -> train(TestNets.blobNet(1.0, org.nd4j.linalg.activations.Activation.TANH),
                        kind.endsWith("offload") ? config(stage, fp16).replace("\"stage\": 3}",
                                "\"stage\": 3, \"offload_param\": {\"device\": \"cpu\"}}") : config(stage, fp16),
                        Compute.HALF, data.subList(0, 6), 2);
            };
            out[k] = net instanceof MultiLayerNetwork m ? m.params().toFloatVector()
                    : ((ComputationGraph) net).params().toFloatVector();
        }
        double max = 0;
        for (int i = 0; i < out[0].length; i++) {
            max = Math.max(max, Math.abs(out[0][i] - out[1][i]));
        }
        System.out.printf("stage3 vs stage2, HALF compute, %s: max |diff| %.3g%n", kind, max);
        assertArrayEquals(out[0], out[1], "stage 3 vs stage 2 with HALF compute, " + kind);
    }

    /**
     * The stage-3 compute scratch holds HALF parameters and gradients of the largest layer: 2 x 2 bytes each. FLOAT
     * compute holds only the FLOAT gradient scratch between steps: its layers compute on the module buffers their
     * parameters are gathered into (none between steps), so no parameter scratch.
     */
    @Test
    void scratchIsHalfInTheLedger() {
        List<LedgerSnapshot> half;
        List<LedgerSnapshot> emulated;
        String json = config(3, ", \"fp16\": {\"enabled\": true}");
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.blobNet()).config(DeepSpeedConfig.parse(json))
                .worldSize(2).compute(Compute.HALF).build()) {
            half = t.memoryReport();
        }
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.blobNet()).config(DeepSpeedConfig.parse(json))
                .worldSize(2).compute(Compute.FLOAT).build()) {
            emulated = t.memoryReport();
        }
        long largest = 8 * 32 + 32; // the 8-32-3 net's largest layer: W 8x32 and b 32
        for (int r = 0; r < 2; r++) {
            assertEquals(2 * 2 * largest, half.get(r).bytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE),
                    "rank " + r);
            assertEquals(4 * largest, emulated.get(r).bytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE),
                    "rank " + r);
            assertEquals(emulated.get(r).bytes(MemoryCategory.PARAMETERS), half.get(r).bytes(MemoryCategory.PARAMETERS),
                    "the shards are fp16 bits in both");
            assertEquals(emulated.get(r).bytes(MemoryCategory.MASTER_WEIGHTS),
                    half.get(r).bytes(MemoryCategory.MASTER_WEIGHTS));
        }
    }
}
