package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A DeepSpeed {@code optimizer} section (with a {@code scheduler}) at ZeRO stage 3: the fused kernel updates each
 * rank's fp32 master shards as stage 2's {@code ResidentShardUpdate} updates its flat range. The kernels are element-wise
 * and both stages feed them the same averaged gradient (the same sums: fp32 gradients of 2 ranks, or exact sums of
 * 16-bit values, divided by powers of two) and the same learning rate per step, so without clipping they agree bit
 * for bit. With {@code gradient_clipping} (ds4j's default is 1.0, so the cases that do not set it clip) the global
 * norm is a sum of squares taken in a different order (stage 2: over one contiguous range of the flat vector; stage
 * 3: over the rank's slice of each tensor), so the norm, DeepSpeed's clip factor
 * {@code max_norm / (norm + 1e-6)} and then the updates can differ in the last float bits: measured max |diff| 3e-8
 * (Adam), 6e-8 (AdamW with bf16, Adagrad) and 0 (Lion, which only uses signs) after 16 steps that move parameters by
 * 0.016-0.25; asserted within 1e-6 absolute.
 */
class Stage3OptimizerSectionTest {

    private static final int BATCH = 32;
    private static final String ADAM_WARMUP = ", \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.005}},"
            + " \"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0, \"warmup_max_lr\": 0.005,"
            + " \"warmup_num_steps\": 10, \"warmup_type\": \"linear\"}}";

    private record Run(float[] params, long skipped) { }

    private static Run train(int stage, String extra, int epochs) {
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.TANH);
        List<DataSet> data = TestNets.blobs(8, BATCH, 11);
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                + " {\"stage\": " + stage + "}" + extra + "}");
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data), epochs);
            return new Run(net.params().toFloatVector(), t.skippedSteps());
        }
    }

    /**
     * A rank that owns none of a tensor: the bottleneck layer's bias has 1 element, so on 2 ranks rank 1's shard of it
     * is all padding. The fused optimizer must still find every later tensor's master (it looked them up by position
     * among the non-empty pieces, one off after the empty one). Without clipping stage 3 equals stage 2 bit for bit.
     */
    @Test
    void aTensorARankOwnsNoneOfDoesNotShiftTheOthers() {
        String section = ", \"gradient_clipping\": 0, \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.01}}";
        float[][] out = new float[2][];
        for (int stage = 2; stage <= 3; stage++) {
            MultiLayerNetwork net = bottleneck();
            DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                    + " {\"stage\": " + stage + "}" + section + "}");
            try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).build()) {
                t.fit(new ExistingDataSetIterator(TestNets.blobs(4, BATCH, 5)));
            }
            out[stage - 2] = net.params().toFloatVector();
        }
        assertArrayEquals(out[0], out[1], "stage 3 vs stage 2");
        assertTrue(!java.util.Arrays.equals(out[0], bottleneck().params().toFloatVector()), "training moved them");
    }

    /** 8 -> dense 1 (a 1-element bias) -> softmax 3. */
    private static MultiLayerNetwork bottleneck() {
        var c = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(4)
                .dataType(org.nd4j.linalg.api.buffer.DataType.FLOAT).list()
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(8).nOut(1)
                        .activation(Activation.TANH).build())
                .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                        org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).nIn(1).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {ADAM_WARMUP,
        ADAM_WARMUP + ", \"gradient_clipping\": 0.05",
        ADAM_WARMUP + ", \"fp16\": {\"enabled\": true}, \"gradient_accumulation_steps\": 2",
        ", \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 0.01, \"weight_decay\": 0.1}},"
                + " \"bf16\": {\"enabled\": true}",
        ", \"optimizer\": {\"type\": \"Adagrad\", \"params\": {\"lr\": 0.05}}",
        ", \"optimizer\": {\"type\": \"Lion\", \"params\": {\"lr\": 0.001}}",
        ", \"zero_allow_untested_optimizer\": true, \"optimizer\": {\"type\": \"Lamb\", \"params\": {\"lr\": 0.01,"
                + " \"weight_decay\": 0.01}}, \"gradient_clipping\": 0",
        ", \"zero_allow_untested_optimizer\": true, \"optimizer\": {\"type\": \"Lamb\", \"params\": {\"lr\": 0.01}},"
                + " \"bf16\": {\"enabled\": true}"})
    void stage3MatchesStage2WithTheSameSection(String extra) {
        Run r2 = train(2, extra, 2);
        Run r3 = train(3, extra, 2);
        assertEquals(r2.skipped(), r3.skipped(), "overflow-skipped steps (fp16's first steps at scale 2^16)");
        float[] s2 = r2.params();
        float[] s3 = r3.params();
        float[] start = TestNets.blobNet(1.0, Activation.TANH).params().toFloatVector();
        double moved = 0;
        double max = 0;
        for (int i = 0; i < s2.length; i++) {
            moved = Math.max(moved, Math.abs(s2[i] - start[i]));
            max = Math.max(max, Math.abs(s2[i] - s3[i]));
        }
        System.out.printf("stage3 vs stage2 %s: max |diff| %.3g (max move %.3g)%n", extra, max, moved);
        assertTrue(moved > 1e-3, "the optimizer must move the parameters: " + moved);
        assertArrayEquals(s2, s3, 1e-6f, "stage 3 vs stage 2 with" + extra);
    }

    /** Without clipping the two stages feed the kernel identical inputs: bit-identical parameters. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {ADAM_WARMUP + ", \"gradient_clipping\": 0",
        ADAM_WARMUP + ", \"gradient_clipping\": 0, \"fp16\": {\"enabled\": true, \"initial_scale_power\": 8}"})
    void withoutClippingStage3EqualsStage2BitForBit(String extra) {
        Run r2 = train(2, extra, 2);
        Run r3 = train(3, extra, 2);
        assertEquals(r2.skipped(), r3.skipped());
        assertArrayEquals(r2.params(), r3.params(), "stage 3 vs stage 2 with" + extra);
    }

    /** The optimizer state is the kernel's (Adam: 2 words per owned element), summed over ranks 2 x 4 x psi bytes. */
    @Test
    void ledgerHoldsTheKernelsState() {
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.TANH);
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                + " {\"stage\": 3}" + ADAM_WARMUP + "}");
        long state = 0;
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).build()) {
            for (LedgerSnapshot s : t.memoryReport()) {
                state += s.bytes(MemoryCategory.OPTIMIZER_STATE);
            }
        }
        assertEquals(2 * 4 * net.numParams(), state);
    }

    /** Lamb's trust ratio needs whole tensors; an offload store steps sub-groups, so the pair is refused by key. */
    @Test
    void lambWithOptimizerOffloadIsRefusedByKey() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                + " {\"stage\": 3, \"offload_optimizer\": {\"device\": \"cpu\"}}, \"zero_allow_untested_optimizer\":"
                + " true, \"optimizer\": {\"type\": \"Lamb\", \"params\": {\"lr\": 0.01}}}");
        RuntimeException e = assertThrows(RuntimeException.class, () -> ZeroTrainer.builder(
                TestNets.blobNet(1.0, Activation.TANH)).config(cfg).worldSize(2).build());
        assertTrue(e.getMessage().startsWith("optimizer.type:"), e.getMessage());
        assertTrue(e.getMessage().contains("offload"), e.getMessage());
    }
}
