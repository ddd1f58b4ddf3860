package io.ds4j.dl4j;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts the ranks of a multi-process test as JVMs on 127.0.0.1 with torchrun's variables, waits for them, and moves
 * parameter vectors between them and the test as raw floats.
 */
final class RankProcesses {

    private RankProcesses() {
    }

    /** Skips the calling test class where UCX cannot be loaded, saying why and how to install it. */
    static void assumeUcx() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.ds4j.zero.comm.ucx.UcxLibrary.available(), () -> "UCX process"
                + " tests skipped: " + io.ds4j.zero.comm.ucx.UcxLibrary.unavailableReason().orElse("") + "; "
                + io.ds4j.zero.comm.ucx.UcxLibrary.INSTALL_HINT);
    }

    /**
     * @param main the rank's main class; it gets {@code dir} and then {@code mode} as arguments
     * @return the {@code n} processes, rank r at index r
     */
    static List<Process> launch(Class<?> main, Path dir, int n, String... mode) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> ps = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-cp", System.getProperty("java.class.path"), main.getName(), dir.toString());
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

    /** @return the process's output once it exited; fails when it runs longer than {@code seconds} */
    static String finish(Process p, long seconds) throws Exception {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("a rank did not exit within " + seconds + " s");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Waits for every process and asserts each exited with 0. */
    static void finishAll(List<Process> ps, long seconds) throws Exception {
        for (Process p : ps) {
            String log = finish(p, seconds);
            org.junit.jupiter.api.Assertions.assertEquals(0, p.exitValue(), log);
        }
    }

    static float[] read(Path file, int n) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            float[] p = new float[n];
            for (int i = 0; i < n; i++) {
                p[i] = in.readFloat();
            }
            return p;
        }
    }

    static void write(Path file, float[] values) throws IOException {
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(file))) {
            for (float f : values) {
                o.writeFloat(f);
            }
        }
    }
}
