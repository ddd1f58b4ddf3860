package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Resharding at load: a checkpoint saved after K steps by N ranks at one ZeRO stage loads into M ranks at another,
 * and the next K steps follow the straight run of 2K steps at N within the fp32 parity tolerance of the engine
 * ({@code 1e-6 + 1e-5 |p|} per element, as {@code ZeroTrainerParityTest}: only the summation order over ranks
 * differs).
 */
class CheckpointReshardTest {

    private static final int K = 4;

    @TempDir
    Path tmp;

    static Stream<Arguments> moves() {
        return Stream.of(
                Arguments.of(new CheckpointCases.Case(0, "fp32", "none", false, 1),
                        new CheckpointCases.Case(2, "fp32", "none", false, 3)),
                Arguments.of(new CheckpointCases.Case(2, "fp32", "none", false, 4),
                        new CheckpointCases.Case(1, "fp32", "none", false, 2)),
                Arguments.of(new CheckpointCases.Case(1, "fp32", "none", true, 2),
                        new CheckpointCases.Case(0, "fp32", "none", true, 4)),
                Arguments.of(new CheckpointCases.Case(2, "fp32", "cpu", true, 3),
                        new CheckpointCases.Case(1, "fp32", "none", true, 1)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("moves")
    void loadIntoAnotherWorldSizeAndStageFollowsTheStraightRun(CheckpointCases.Case from, CheckpointCases.Case to) {
        Path ck = tmp.resolve("ck");
        MultiLayerNetwork straight = from.net(1);
        try (ZeroTrainer t = from.trainer(straight, tmp.resolve("nvme-a"))) {
            straight.addListeners(new CheckpointCases.Recorder(t, K, ck));
            t.fit(CheckpointCases.iterator(2 * K));
        }
        MultiLayerNetwork moved = to.net(2);
        try (ZeroTrainer t = to.trainer(moved, tmp.resolve("nvme-b"))) {
            t.loadCheckpoint(ck);
            t.fit(CheckpointCases.iterator(2 * K));
        }
        float worst = CheckpointCases.assertWithinParity(straight.params().toFloatVector(),
                moved.params().toFloatVector());
        System.out.println(from + " -> " + to + ": max |difference| " + worst);
        assertEquals(straight.getIterationCount(), moved.getIterationCount());
    }
}
