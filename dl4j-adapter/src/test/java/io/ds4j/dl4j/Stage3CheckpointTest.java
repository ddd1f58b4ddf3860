package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checkpoints at ZeRO stage 3. <b>Exact resume</b>: 2K steps straight (saving after step K from a listener, mid-epoch)
 * against a trainer on a network of other initial weights that loads the checkpoint and trains on; parameters, every
 * rank file's master and optimizer state, the iteration count and the loss-scale trajectory of steps K+1..2K are
 * bit-identical, for fp32/fp16/bf16, offload_param and offload_optimizer none/cpu/nvme, 1-3 ranks, DL4J updaters and
 * DeepSpeed's Adam, and a network built partitioned. <b>Resharding</b>: a checkpoint saved by N ranks at one stage
 * loads into M ranks at another (stage 3 to 0-2, 0-2 to 3, 3 to 3), and the next K steps follow the straight run
 * within the fp32 parity tolerance of {@link CheckpointReshardTest} ({@code 1e-6 + 1e-5 |p|}: only the summation
 * order over ranks differs).
 */
class Stage3CheckpointTest {

    private static final int K = 4;

    @TempDir
    Path tmp;

    static Stream<Stage3CheckpointCases> resumes() {
        return Stream.of(
                Stage3CheckpointCases.of(3, "fp32", 2),
                Stage3CheckpointCases.of(3, "fp16", 3).offload("cpu", "none"),
                Stage3CheckpointCases.of(3, "bf16", 2).offload("nvme", "nvme").adam(),
                Stage3CheckpointCases.of(3, "fp16", 1).offload("none", "cpu").adam(),
                Stage3CheckpointCases.of(3, "fp32", 3).offload("cpu", "cpu").adam(),
                Stage3CheckpointCases.of(3, "fp32", 2).offload("nvme", "none").partitionedConstruction(),
                Stage3CheckpointCases.of(3, "fp16", 2).offload("nvme", "none").adam().partitionedConstruction());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("resumes")
    void resumeIsBitIdentical(Stage3CheckpointCases c) throws Exception {
        Path ck = tmp.resolve("ck");
        Path ref = tmp.resolve("ref");
        float[] straight;
        int iterations;
        List<String> full;
        MultiLayerNetwork first = c.net(1);
        try (ZeroTrainer t = c.trainer(first, tmp.resolve("nvme-a"))) {
            full = CheckpointCases.straight(t, first, ck, K, ref);
            straight = Stage3CheckpointCases.params(t);
            iterations = ((MultiLayerNetwork) t.network()).getIterationCount();
        }
        MultiLayerNetwork resumed = c.net(2);
        assertTrue(c.partitioned() || !resumed.params().equals(c.net(1).params()), "other initial weights");
        List<String> tail;
        float[] after;
        try (ZeroTrainer t = c.trainer(resumed, tmp.resolve("nvme-b"))) {
            tail = CheckpointCases.resume(t, resumed, ck, K, tmp.resolve("out"));
            after = Stage3CheckpointCases.params(t);
            assertEquals(iterations, ((MultiLayerNetwork) t.network()).getIterationCount());
        }
        assertArrayEquals(straight, after, "parameters");
        CheckpointCases.assertExactResume(full, tail, K, ref.resolve("end"), tmp.resolve("out/end"), c.precision());
    }

    static Stream<Arguments> moves() {
        return Stream.of(
                Arguments.of(Stage3CheckpointCases.of(3, "fp32", 2), Stage3CheckpointCases.of(3, "fp32", 3)),
                Arguments.of(Stage3CheckpointCases.of(3, "fp32", 4).offload("cpu", "cpu").adam(),
                        Stage3CheckpointCases.of(1, "fp32", 2).adam()),
                Arguments.of(Stage3CheckpointCases.of(2, "fp32", 2),
                        Stage3CheckpointCases.of(3, "fp32", 1).offload("nvme", "none").partitionedConstruction()),
                Arguments.of(Stage3CheckpointCases.of(0, "fp32", 1).adam(),
                        Stage3CheckpointCases.of(3, "fp32", 4).offload("nvme", "nvme").adam()),
                Arguments.of(Stage3CheckpointCases.of(3, "fp32", 1).partitionedConstruction(),
                        Stage3CheckpointCases.of(2, "fp32", 3)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("moves")
    void reshardFollowsTheStraightRun(Stage3CheckpointCases from, Stage3CheckpointCases to) {
        Path ck = tmp.resolve("ck");
        float[] a;
        MultiLayerNetwork first = from.net(1);
        try (ZeroTrainer t = from.trainer(first, tmp.resolve("nvme-a"))) {
            first.addListeners(new CheckpointCases.Recorder(t, K, ck));
            t.fit(CheckpointCases.iterator(2 * K));
            a = Stage3CheckpointCases.params(t);
        }
        float[] b;
        try (ZeroTrainer t = to.trainer(to.net(2), tmp.resolve("nvme-b"))) {
            t.loadCheckpoint(ck);
            t.fit(CheckpointCases.iterator(2 * K));
            b = Stage3CheckpointCases.params(t);
            assertEquals(2 * K, ((MultiLayerNetwork) t.network()).getIterationCount());
        }
        float worst = CheckpointCases.assertWithinParity(a, b);
        System.out.println(from + " -> " + to + ": max |difference| " + worst);
    }
}
