package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints with ranks as processes ({@link CheckpointRankMain}, real child JVMs over UCX), at stage 1 (fp16) and
 * stage 3 (fp32, parameter and optimizer offload to cpu): 2 processes save, each its own rank file
 * and rank 0 the model-states file and {@code latest}, into one shared folder; every file's master and optimizer state
 * is bit-identical to what 2 rank threads save after the same steps. That checkpoint then loads into 3 processes
 * (resharded at load), which train on bit-identical to 3 rank threads loading it; and into one JVM of 2 rank threads,
 * which end bit-identical to the straight run, and of 1 rank, which ends as when it loads the threads' checkpoint
 * and, in fp32, within the parity bound of resharding ({@link CheckpointCases#assertWithinParity}).
 */
class DistributedCheckpointTest {
    static final int MID = 2; // the save after step 2 of DistributedCases.STEPS = 3 (mid-epoch)

    @TempDir
    Path dir;

    @BeforeAll
    static void ucxLoads() {
        RankProcesses.assumeUcx();
    }

    static List<DistributedCases.Case> cases() {
        return DistributedCases.cases().stream().filter(c -> List.of("stage1-fp16", "stage3-cpu-offload")
                .contains(c.name())).toList();
    }

    /** A run of {@code world} rank threads over the global batches, optionally loading tag mid of {@code load}. */
    private static float[] threads(DistributedCases.Case c, int world, Path load, Path save) {
        try (ZeroTrainer t = ZeroTrainer.builder(c.net()).config(c.config()).worldSize(world).threadsPerRank(1)
                .build()) {
            if (load != null) {
                t.loadCheckpoint(load, "mid");
            } else {
                ((org.deeplearning4j.nn.multilayer.MultiLayerNetwork) t.network()).addListeners(
                        new CheckpointCases.Recorder(t, MID, save));
            }
            t.fit(new ExistingDataSetIterator(DistributedCases.globals()));
            if (save != null) {
                t.saveCheckpoint(save, "end");
            }
            return t.network().params().toFloatVector();
        }
    }

    @Test
    void savedByTwoProcessesLoadsIntoThreeProcessesAndIntoOneJvm() throws Exception {
        RankProcesses.finishAll(RankProcesses.launch(CheckpointRankMain.class, dir, 2, "save"), 600);
        for (DistributedCases.Case c : cases()) {
            Path ck = dir.resolve(c.name()).resolve("ck");
            Path ref = dir.resolve(c.name()).resolve("threads");
            float[] straight = threads(c, 2, null, ref);
            for (int r = 0; r < 2; r++) {
                assertArrayEquals(straight, RankProcesses.read(dir.resolve(c.name() + "-save2-rank" + r),
                        straight.length), c.name() + ": rank " + r + " of the saving processes");
            }
            assertEquals("end", Files.readString(ck.resolve("latest")));
            for (String tag : List.of("mid", "end")) {
                assertEquals(CheckpointCases.contents(ref.resolve(tag)), CheckpointCases.contents(ck.resolve(tag)),
                        c.name() + ": tag " + tag + " saved by processes, every rank file's sections bit for bit");
            }
            assertArrayEquals(straight, threads(c, 2, ck, null), c.name() + ": loaded by 2 rank threads");
            float[] one = threads(c, 1, ck, null);
            assertArrayEquals(threads(c, 1, ref, null), one, c.name() + ": 1 rank loads it as the threads' own");
            if (!c.json().contains("fp16")) { // fp16 rounds sums of another order to other 16-bit values
                System.out.println(c.name() + ": 2 processes -> 1 rank, max |difference| "
                        + CheckpointCases.assertWithinParity(straight, one));
            }
        }
        RankProcesses.finishAll(RankProcesses.launch(CheckpointRankMain.class, dir, 3, "resume"), 600);
        for (DistributedCases.Case c : cases()) {
            float[] expected = threads(c, 3, dir.resolve(c.name()).resolve("ck"), null);
            for (int r = 0; r < 3; r++) {
                assertArrayEquals(expected, RankProcesses.read(dir.resolve(c.name() + "-resume3-rank" + r),
                        expected.length), c.name() + ": rank " + r + " of 3 processes loading it");
            }
        }
    }
}
