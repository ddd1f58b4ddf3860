package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code zero_optimization.sub_group_size} at ZeRO stage 3 (2 ranks, the 8-32-3 Adam classifier of
 * {@link MixedPrecisionTrainingTest}: 387 parameters, so each rank owns 194 or 193 fp32 master elements). The
 * optimizer steps a rank's master elements in sub-groups of at most {@code sub_group_size}; every optimizer (the
 * network's DL4J Adam, DeepSpeed's fused Adam) is element-wise and the global clipping norm is still summed per
 * parameter, so any split gives the same floats: bit-identical to the default (1e9, one sub-group per rank) for 7
 * (sub-groups inside every parameter) and 100 (sub-groups spanning parameter boundaries).
 *
 * <p>The step's temporaries hold one sub-group and are entered in the ledger as {@code OTHER} for the step: 4 bytes
 * per element for the unscaled fp16 gradient, nothing in fp32: the DL4J updaters and the fused kernel step the
 * masters on the device in place (the fused kernel used to stage each sub-group's masters and gradients, 8 bytes per
 * element, and with the default {@code sub_group_size} that was the whole owned shard every step). With
 * {@code sub_group_size} 7 the fp16 peak is therefore exactly {@code 7 x 4} bytes.
 */
class Stage3SubGroupTest {
    private static final int BATCH = 32;
    /** Lamb: the per-tensor norms are summed over every sub-group before any is applied. */
    private static final String LAMB = ", \"zero_allow_untested_optimizer\": true, \"optimizer\": {\"type\":"
            + " \"Lamb\", \"params\": {\"lr\": 0.01, \"weight_decay\": 0.01}}";
    private static final String ADAM = ", \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.005}},"
            + " \"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0, \"warmup_max_lr\": 0.005,"
            + " \"warmup_num_steps\": 10, \"warmup_type\": \"linear\"}}";
    private static final String FP16 = ", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 8}";

    private record Run(float[] params, long skipped, List<LedgerSnapshot> ledgers) { }

    private static Run train(long subGroupSize, String extra) {
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.TANH);
        List<DataSet> data = TestNets.blobs(6, BATCH, 11);
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"zero_optimization\":"
                + " {\"stage\": 3, \"sub_group_size\": " + subGroupSize + "}, \"gradient_clipping\": 0.5" + extra
                + "}");
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data), 2);
            return new Run(net.params().toFloatVector(), t.skippedSteps(), new ArrayList<>(t.memoryReport()));
        }
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", FP16, ADAM, ADAM + FP16 + ", \"gradient_accumulation_steps\": 2", LAMB})
    void anySubGroupSizeGivesTheSameFloats(String extra) {
        float[] start = TestNets.blobNet(1.0, Activation.TANH).params().toFloatVector();
        Run whole = train(1_000_000_000L, extra);
        double moved = 0;
        for (int i = 0; i < start.length; i++) {
            moved = Math.max(moved, Math.abs(whole.params()[i] - start[i]));
        }
        assertTrue(moved > 1e-3, "the optimizer must move the parameters: " + moved);
        for (long size : new long[] {7, 100}) {
            Run split = train(size, extra);
            assertEquals(whole.skipped(), split.skipped(), "skipped steps, sub_group_size " + size);
            assertArrayEquals(whole.params(), split.params(), "sub_group_size " + size + " vs 1e9 with" + extra);
        }
    }

    /** The step's transient is one sub-group: bytes per element x min(sub_group_size, owned elements). */
    @Test
    void stepTransientIsOneSubGroup() {
        assertPeak(train(7, ""), 0, 0);
        assertPeak(train(7, FP16), 4, 7);
        assertPeak(train(7, ADAM), 0, 0);
        assertPeak(train(7, ADAM + FP16), 4, 7);
        // default: one sub-group holding each rank's whole shard (rank 0 owns 128 + 16 + 48 + 2 = 194 elements)
        assertPeak(train(1_000_000_000L, ADAM), 0, 0);
        assertPeak(train(1_000_000_000L, ADAM + FP16), 4, 194);
    }

    private static void assertPeak(Run run, long bytesPerElement, long rank0Elements) {
        LedgerSnapshot rank0 = run.ledgers().get(0);
        assertEquals(0, rank0.rank());
        assertEquals(bytesPerElement * rank0Elements, rank0.peakBytes(MemoryCategory.OTHER, MemoryTier.DEVICE),
                "peak of the optimizer step's sub-group temporaries");
        for (LedgerSnapshot s : run.ledgers()) {
            assertEquals(0, s.bytes(MemoryCategory.OTHER, MemoryTier.DEVICE), "released after the step");
        }
    }
}
