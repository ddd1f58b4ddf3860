package io.ds4j.zero.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.comm.ucx.UcxLibrary;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ranks as separate JVM processes on 127.0.0.1, started the way torchrun starts them (RANK, WORLD_SIZE, MASTER_ADDR,
 * MASTER_PORT): results bit-identical to the in-process collectives; a killed rank is named by the others, which exit
 * instead of hanging; a mismatched world size is named at the rendezvous.
 */
class SeparateProcessesTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void ucxLoads() {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "UCX process tests skipped: "
                + UcxLibrary.unavailableReason().orElse("") + "; " + UcxLibrary.INSTALL_HINT);
    }

    /** The collectives every rank runs, on inputs that make the summation order visible. */
    static List<float[]> scenario(Collectives c) {
        int n = c.worldSize(), r = c.rank(), len = 10_007;
        float[] a = new float[len];
        float[] full = new float[n * len];
        for (int i = 0; i < full.length; i++) {
            full[i] = (float) Math.sin(1.3 * i + 0.7 * r) * (r + 1) * 0.37f + 1e-3f * i;
        }
        System.arraycopy(full, 0, a, 0, len);
        c.allReduceSum(a, 0, len);
        float[] own = new float[len];
        c.reduceScatterSum(full, 0, len, own, 0, len);
        float[] gathered = new float[n * len];
        c.allGather(own, 0, gathered, 0, len, len);
        float[] b = full.clone();
        c.broadcast(b, 0, len, n - 1);
        float[] norms = {(float) c.allReduceSum(r * 0.1 + 1e-9), (float) c.allReduceMax(r)};
        return List.of(a, own, gathered, java.util.Arrays.copyOf(b, len), norms);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private List<Process> launch(int n, String scenario, int[] worldSizes) throws IOException {
        return launch(n, scenario, worldSizes, java.util.Map.of());
    }

    private List<Process> launch(int n, String scenario, int[] worldSizes, java.util.Map<String, String> env)
            throws IOException {
        int port = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> ps = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    RankProcessMain.class.getName(), scenario, dir.resolve("rank" + r).toString(), "job");
            pb.environment().put("RANK", Integer.toString(r));
            pb.environment().put("WORLD_SIZE", Integer.toString(worldSizes[r]));
            pb.environment().put("MASTER_ADDR", "127.0.0.1");
            pb.environment().put("MASTER_PORT", Integer.toString(port));
            pb.environment().put("DS4J_RENDEZVOUS_TIMEOUT_S", "60");
            pb.environment().putAll(env);
            pb.redirectErrorStream(true);
            ps.add(pb.start());
        }
        return ps;
    }

    private static String finish(Process p, long seconds) throws Exception {
        InputStream in = p.getInputStream();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("a rank did not exit within " + seconds + " s: "
                    + new String(in.readNBytes(in.available()), StandardCharsets.UTF_8));
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void threeProcessesGiveTheBitsOfTheInProcessCollectives() throws Exception {
        int n = 3;
        List<Process> ps = launch(n, "sum", new int[] {n, n, n});
        for (Process p : ps) {
            String log = finish(p, 120);
            assertEquals(0, p.exitValue(), log);
        }
        List<List<float[]>> expected = Ranks.run(InProcessCollectives.create(n, Duration.ofMinutes(1)),
                SeparateProcessesTest::scenario);
        for (int r = 0; r < n; r++) {
            try (DataInputStream in = new DataInputStream(Files.newInputStream(dir.resolve("rank" + r)))) {
                for (float[] e : expected.get(r)) {
                    float[] got = new float[e.length];
                    for (int i = 0; i < got.length; i++) {
                        got[i] = in.readFloat();
                    }
                    assertArrayEquals(e, got, "rank " + r);
                }
            }
        }
    }

    @Test
    void killingOneRankMakesTheOthersExitNamingIt() throws Exception {
        int n = 3;
        List<Process> ps = launch(n, "stall", new int[] {n, n, n});
        Process victim = ps.get(n - 1);
        java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                victim.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertEquals("STALLED", line, "the last rank reached its stall");
        victim.destroyForcibly().waitFor();
        for (int r = 0; r < n - 1; r++) {
            String log = finish(ps.get(r), 120); // the collective timeout is 20 s
            assertEquals(3, ps.get(r).exitValue(), log);
            assertTrue(log.contains("because rank " + (n - 1) + " failed"), log);
            // named by its lost connection (the control endpoint's, under the default error handling), at once: not
            // by the 20 s collective timeout
            assertFalse(log.contains("did not enter"), log);
        }
    }

    /**
     * A rank that stops answering without closing its connections (its host hung, or unreachable: here the process is
     * frozen with SIGSTOP in the middle of 16 MiB all-reduces over TCP, as between hosts) is named by the collective
     * timeout, and the others exit with that error: closing UCX with a transfer to it still pending must not abort
     * the process (UCX 1.13 asserts when a worker is destroyed with an endpoint's flush outstanding).
     */
    @Test
    void aRankFrozenMidTransferIsNamedByTheTimeoutAndTheOthersExitWithTheError() throws Exception {
        List<Process> ps = launch(2, "loop", new int[] {2, 2}, java.util.Map.of("UCX_TLS", "tcp,self"));
        Process frozen = ps.get(1);
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                    frozen.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("LOOPING", out.readLine(), "rank 1 finished its first all-reduce");
            Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(frozen.pid())).start();
            assertEquals(0, stop.waitFor(), "SIGSTOP sent");
            String log = finish(ps.get(0), 120); // the collective timeout is 20 s
            assertEquals(3, ps.get(0).exitValue(), log);
            assertTrue(log.contains("rank 0 failed:") && log.contains("because rank 1 failed"), log);
            assertTrue(log.contains("rank(s) [1] did not enter allReduceSum"), log);
        } finally {
            frozen.destroyForcibly().waitFor();
        }
    }

    @Test
    void transportsThatCannotDetectAFailedPeerAreNamedWithTheFix() throws Exception {
        // shared memory only: the default control endpoints need UCX's peer error handling, which it cannot offer
        List<Process> ps = launch(2, "sum", new int[] {2, 2}, java.util.Map.of("UCX_TLS", "sm,self"));
        for (Process p : ps) {
            String log = finish(p, 120);
            assertEquals(3, p.exitValue(), log);
            assertTrue(log.contains("cannot open a UCX endpoint with peer error handling to rank"), log);
            assertTrue(log.contains("UCX_TLS=sm,self"), log);
            assertTrue(log.contains("set DS4J_UCX_ERROR_HANDLING=none on every rank"), log);
        }
    }

    @Test
    void aMismatchedWorldSizeIsNamedAtTheRendezvous() throws Exception {
        List<Process> ps = launch(2, "sum", new int[] {2, 3});
        for (Process p : ps) {
            String log = finish(p, 120);
            assertNotEquals(0, p.exitValue(), log);
            assertTrue(log.contains("rank 1 has world size 3 but rank 0 has 2"), log);
        }
    }
}
