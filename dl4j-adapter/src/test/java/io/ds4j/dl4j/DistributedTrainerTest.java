package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
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
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "UCX process tests skipped: "
                + UcxLibrary.unavailableReason().orElse("") + "; " + UcxLibrary.INSTALL_HINT);
    }

    private List<Process> launch(int n, String... mode) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> ps = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-cp", System.getProperty("java.class.path"), TrainerRankMain.class.getName(),
                    dir.toString());
            pb.command().addAll(List.of(mode));
            pb.environment().put("RANK", Integer.toString(r));
            pb.environment().put("WORLD_SIZE", Integer.toString(n));
            pb.environment().put("LOCAL_RANK", Integer.toString(r));
            pb.environment().put("LOCAL_WORLD_SIZE", Integer.toString(n));
            pb.environment().put("MASTER_ADDR", "127.0.0.1");
            pb.environment().put("MASTER_PORT", Integer.toString(port));
            pb.environment().put("DS4J_RENDEZVOUS_TIMEOUT_S", "120");
            ps.add(pb.redirectErrorStream(true).start());
        }
        return ps;
    }

    private static String finish(Process p, long seconds) throws Exception {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("a rank did not exit within " + seconds + " s");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static float[] threadRun(DistributedCases.Case c, int n) {
        MultiLayerNetwork net = c.net();
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(c.config()).worldSize(n).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(DistributedCases.globals()));
            return t.network().params().toFloatVector();
        }
    }

    private float[] read(String name, int n) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(dir.resolve(name)))) {
            float[] p = new float[n];
            for (int i = 0; i < n; i++) {
                p[i] = in.readFloat();
            }
            return p;
        }
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
