package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ZeroTrainer} with ranks as separate JVM processes on 127.0.0.1, started with torchrun's variables
 * ({@link TrainerRankMain}): every case of {@link DistributedCases} (stages 0-3, offload, fp16, stage 3 built
 * partitioned) ends with every
 * process holding parameters bit-identical to the in-JVM thread run on the same global batches; a rank whose process
 * dies mid-training is named by the others, which exit instead of hanging; a different config is named at the
 * rendezvous. One launch of N processes per case group.
 */
class DistributedTrainerTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void ucxLoads() {
        RankProcesses.assumeUcx();
    }

    private List<Process> launch(int n, String... mode) throws IOException {
        return RankProcesses.launch(TrainerRankMain.class, dir, n, mode);
    }

    private static String finish(Process p, long seconds) throws Exception {
        return RankProcesses.finish(p, seconds);
    }

    private static float[] threadRun(DistributedCases.Case c, int n) {
        MultiLayerNetwork net = c.net();
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(c.config()).worldSize(n).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(DistributedCases.globals()));
            return t.network().params().toFloatVector();
        }
    }

    private float[] read(String name, int n) throws IOException {
        return RankProcesses.read(dir.resolve(name), n);
    }

    private void parity(int n) throws Exception {
        List<Process> ps = launch(n, "parity");
        for (Process p : ps) {
            String log = finish(p, 600);
            assertEquals(0, p.exitValue(), log);
        }
        for (DistributedCases.Case c : DistributedCases.cases()) {
            float[] expected = threadRun(c, n);
            for (int r = 0; r < n; r++) {
                assertArrayEquals(expected, read(c.name() + "-rank" + r, expected.length), c.name() + ", rank " + r
                        + " of " + n + " processes");
            }
        }
    }

    @Test
    void twoProcessesEndBitIdenticalToTwoThreads() throws Exception {
        parity(2);
    }

    @Test
    void threeProcessesEndBitIdenticalToThreeThreads() throws Exception {
        parity(3);
    }

    /** Rank 1 of 2 halts after its first step of the first case {@code prefix} names; rank 0 must name it. */
    private void rankOneDies(String prefix) throws Exception {
        List<Process> ps = launch(2, "die", prefix);
        String log = finish(ps.get(0), 300); // the collective timeout is 20 s
        assertEquals(3, ps.get(0).exitValue(), log);
        assertTrue(log.contains("because rank 1 failed"), log);
        finish(ps.get(1), 60);
        assertEquals(9, ps.get(1).exitValue());
    }

    @Test
    void aRankWhoseProcessDiesIsNamedAndNobodyHangs() throws Exception {
        rankOneDies("stage0");
    }

    @Test
    void aRankWhoseProcessDiesAtStage3IsNamedAndNobodyHangs() throws Exception {
        rankOneDies("stage3");
    }

    @Test
    void aDifferentConfigIsNamedAtTheRendezvous() throws Exception {
        List<Process> ps = launch(2, "other-config");
        for (Process p : ps) {
            String log = finish(p, 300);
            assertEquals(3, p.exitValue(), log);
            assertTrue(log.contains("rank 1's job differs from rank 0's"), log);
        }
    }
}
