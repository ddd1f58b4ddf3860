package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exact resume: 2K steps straight (saving after step K on the way, from a listener, mid-epoch) against a new trainer
 * on a network of other initial weights that loads that checkpoint and trains on: the same iterator, whose first K
 * batches the resumed fit skips. Parameters, every rank file's master and optimizer state, and the loss-scale
 * trajectory of steps K+1..2K are bit-identical, at stages 0-2, fp32/fp16/bf16, DL4J updaters and DeepSpeed's Adam,
 * offload none/cpu/nvme.
 */
class CheckpointResumeTest {

    static final int K = 4;

    @TempDir
    Path tmp;

    static Stream<CheckpointCases.Case> cases() {
        return Stream.of(
                new CheckpointCases.Case(0, "fp32", "none", false, 2),
                new CheckpointCases.Case(1, "fp16", "none", false, 2),
                new CheckpointCases.Case(2, "bf16", "none", false, 2),
                new CheckpointCases.Case(1, "fp16", "cpu", true, 2),
                new CheckpointCases.Case(2, "fp32", "nvme", true, 2),
                new CheckpointCases.Case(2, "fp16", "none", true, 3),
                new CheckpointCases.Case(0, "bf16", "none", true, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void resumeIsBitIdentical(CheckpointCases.Case c) throws Exception {
        Path ck = tmp.resolve("ck");
        Path ref = tmp.resolve("ref");
        MultiLayerNetwork straight = c.net(1);
        List<String> full;
        try (ZeroTrainer t = c.trainer(straight, tmp.resolve("nvme-a"))) {
            full = CheckpointCases.straight(t, straight, ck, K, ref);
        }
        MultiLayerNetwork resumed = c.net(2);
        assertNotEquals(straight.params(), resumed.params(), "the resumed network starts from other weights");
        List<String> tail;
        try (ZeroTrainer t = c.trainer(resumed, tmp.resolve("nvme-b"))) {
            tail = CheckpointCases.resume(t, resumed, ck, K, tmp.resolve("out"));
        }
        assertArrayEquals(straight.params().toFloatVector(), resumed.params().toFloatVector(), "parameters");
        assertEquals(straight.getIterationCount(), resumed.getIterationCount());
        CheckpointCases.assertExactResume(full, tail, K, ref.resolve("end"), tmp.resolve("out/end"), c.precision());
    }
}
