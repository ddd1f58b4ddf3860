package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ds4j launch --hosts FILE} through a real OpenSSH client and server ({@link LocalSshd}, on 127.0.0.1): sshd
 * gives each rank a login environment and the home directory, not the launcher's, so this checks that the launch
 * command carries what a rank needs (working directory, java, ~/.ds4j_env's variables) and quotes paths with
 * spaces and quotes (the hostfile, the ssh configuration and the model are in such a directory). Skipped, naming what
 * is missing, where sshd cannot be started.
 */
class SshLaunchTest {
    @TempDir
    Path dir;

    @Test
    void twoSlotsOfAHostOverRealSshTrainBitIdenticalToTwoThreads() throws Exception {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        Path spaced = Files.createDirectories(dir.resolve("the user's runs"));
        try (LocalSshd sshd = LocalSshd.start(dir, spaced, List.of("worker-a"), "down-b")) {
            Assumptions.assumeTrue(sshd != null, () -> "skipped: " + LocalSshd.why);
            Path hosts = Files.writeString(spaced.resolve("hosts"), "worker-a slots=2\n");
            Path launched = spaced.resolve("launched model.zip");
            LaunchCommand.Plan plan = LaunchCommand.parse(List.of("--hosts", hosts.toString(), "--ssh",
                    "ssh -F " + HostLaunch.quote(sshd.config().toString()), "--master-addr", "127.0.0.1", "--", "train",
                    "--steps", "3", "--out", launched.toString()));
            // the math libraries' settings reach the ranks through ~/.ds4j_env only (where this machine sets them,
            // e.g. OPENBLAS_CORETYPE, a rank without them computed other last bits)
            Map<String, String> env = new HashMap<>(System.getenv());
            StringBuilder file = new StringBuilder("# for every rank\nDS4J_RENDEZVOUS_TIMEOUT_S=120\n");
            for (String k : List.copyOf(env.keySet())) {
                if (k.startsWith("OPENBLAS_") || k.startsWith("OMP_") || k.startsWith("MKL_")) {
                    file.append(k).append('=').append(env.remove(k)).append('\n');
                }
            }
            Files.writeString(spaced.resolve(LaunchEnvFile.NAME), file);
            env.put("HOME", spaced.toString());
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = HostLaunch.launch(plan, new PrintStream(err), env);
            assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
            String log = err.toString(StandardCharsets.UTF_8);
            assertTrue(log.contains("from [" + spaced.resolve(LaunchEnvFile.NAME) + "]"), log);
            assertEquals(2, sshd.accepted(), "each rank logged in over ssh");
            assertArrayEquals(ThreadReference.params(),
                    ModelSerializer.restoreComputationGraph(launched.toFile()).params().toFloatVector(),
                    "2 ranks on one host over real ssh end bit-identical to 2 rank threads");

            Path down = Files.writeString(spaced.resolve("down"), "down-b slots=1\n");
            err.reset();
            status = new LaunchCommand().run(List.of("--hosts", down.toString(), "--ssh", "ssh -F "
                    + HostLaunch.quote(sshd.config().toString()), "--", "train"), new PrintStream(err), new PrintStream(
                    err));
            log = err.toString(StandardCharsets.UTF_8);
            assertEquals(255, status, log);
            assertTrue(log.contains("rank 0 on host down-b: cannot reach host down-b over ssh (exit status 255)"), log);
        }
    }

    /**
     * sshd leaves a command running when its connection is gone (no terminal, no hang-up signal): the launch command's
     * watcher stops the rank when ssh is stopped, as the launcher stops the others after a rank failed.
     */
    @Test
    void aRankWhoseSshIsStoppedStops() throws Exception {
        Path client = Files.createDirectories(dir.resolve("client"));
        try (LocalSshd sshd = LocalSshd.start(dir, client, List.of("worker-a"), "down-b")) {
            Assumptions.assumeTrue(sshd != null, () -> "skipped: " + LocalSshd.why);
            String seconds = Long.toString(3000 + System.nanoTime() % 1000); // names this test's rank among processes
            String rank = HostLaunch.remoteCommand(dir, Map.of("RANK", "1"), List.of("/bin/sleep", seconds));
            Process ssh = new ProcessBuilder("ssh", "-F", sshd.config().toString(), "worker-a", rank)
                    .redirectErrorStream(true).start();
            assertTrue(HostLaunchTest.eventually(() -> sleeping(seconds)), "the rank started over ssh");
            ssh.destroyForcibly().waitFor();
            assertTrue(HostLaunchTest.eventually(() -> !sleeping(seconds)),
                    "the rank stopped with its ssh connection");
        }
    }

    private static boolean sleeping(String seconds) {
        return ProcessHandle.allProcesses().anyMatch(h -> h.info().command().orElse("").endsWith("/sleep")
                && h.info().arguments().map(a -> a.length == 1 && a[0].equals(seconds)).orElse(false));
    }
}
