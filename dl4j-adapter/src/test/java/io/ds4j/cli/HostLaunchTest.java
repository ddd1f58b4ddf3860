package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ds4j launch --hosts FILE}: DeepSpeed's hostfile format and its errors (file and line), --include/--exclude,
 * and real launches through a stand-in for ssh that runs the remote command on this machine: two hosts of one slot
 * each train bit-identically to two rank threads; an unreachable host is named.
 */
class HostLaunchTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private static String error(List<String> args) {
        return assertThrows(IllegalArgumentException.class, () -> LaunchCommand.parse(args)).getMessage();
    }

    /**
     * A stand-in for ssh: {@code fake-ssh HOST COMMAND} logs HOST and runs COMMAND here; hosts down-* fail as ssh
     * does. The "hosts" share this machine's cores, so their shell sets {@code OMP_NUM_THREADS=1}, the thread count a
     * rank thread gets here (ND4J's thread count changes float results; each host of one slot would otherwise take
     * every core).
     */
    private Path fakeSsh() throws Exception {
        Path ssh = file("fake-ssh", "#!/bin/sh\nhost=\"$1\"; shift\ncase \"$host\" in down*) echo \"ssh: connect to host"
                + " $host port 22: Connection refused\" >&2; exit 255;; esac\nexport OMP_NUM_THREADS=1\necho \"$host\" >> '" + dir.resolve(
                "ssh.log") + "'\nexec sh -c \"$*\"\n");
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwxr-xr-x"));
        return ssh;
    }

    @Test
    void hostfileLinesAndFilters() throws Exception {
        Path hosts = file("hosts", "# the cluster\n\nworker-a slots=2   # two ranks\nworker-b slots=1\n"
                + "  worker-c slots=3\n");
        LaunchCommand.Plan p = LaunchCommand.parse(List.of("--hosts", hosts.toString(), "--", "train"));
        assertEquals(List.of(new HostFile.Host("worker-a", 2), new HostFile.Host("worker-b", 1),
                new HostFile.Host("worker-c", 3)), p.hosts());
        assertEquals(6, p.nproc(), "the world is the sum of the slots");
        assertEquals("worker-a", p.masterAddr(), "rank 0's host");
        assertEquals(List.of("worker-a", "worker-c"), LaunchCommand.parse(List.of("--hosts", hosts.toString(),
                "--exclude", "worker-b", "--", "train")).hosts().stream().map(HostFile.Host::name).toList());
        assertEquals(List.of("worker-b", "worker-c"), LaunchCommand.parse(List.of("--hosts", hosts.toString(),
                "--include", "worker-c@worker-b", "--", "train")).hosts().stream().map(HostFile.Host::name).toList());
        assertTrue(error(List.of("--hosts", hosts.toString(), "--include", "worker-z", "--", "train"))
                .contains("--include names host 'worker-z', which " + hosts));
        assertTrue(error(List.of("--hosts", hosts.toString(), "--exclude", "worker-a:0", "--", "train"))
                .contains("selecting slots (worker-a:0) is not supported"));
        // DeepSpeed's --num_gpus / --num_nodes: ranks per host instead of slots=, the first hosts only
        LaunchCommand.Plan two = LaunchCommand.parse(List.of("--hosts", hosts.toString(), "--nproc", "2", "--",
                "train"));
        assertEquals(List.of(new HostFile.Host("worker-a", 2), new HostFile.Host("worker-b", 2),
                new HostFile.Host("worker-c", 2)), two.hosts());
        assertEquals(6, two.nproc(), "3 hosts x 2 ranks");
        LaunchCommand.Plan firstTwo = LaunchCommand.parse(List.of("--hosts", hosts.toString(), "--exclude",
                "worker-a", "--nnodes", "1", "--nproc", "4", "--", "train"));
        assertEquals(List.of(new HostFile.Host("worker-b", 4)), firstTwo.hosts());
        assertEquals(4, firstTwo.nproc());
        assertEquals("worker-b", firstTwo.masterAddr(), "rank 0's host is the first host kept");
        assertEquals(List.of(new HostFile.Host("worker-a", 2), new HostFile.Host("worker-b", 1)), LaunchCommand
                .parse(List.of("--hosts", hosts.toString(), "--nnodes", "2", "--", "train")).hosts(),
                "--nnodes alone keeps each host's slots");
        assertEquals("--nnodes 4: " + hosts + " leaves 3 host(s) after --include/--exclude [worker-a, worker-b,"
                + " worker-c]; lower --nnodes or add hosts to the file", error(List.of("--hosts", hosts.toString(),
                "--nnodes", "4", "--", "train")));
        assertTrue(error(List.of("--hosts", hosts.toString(), "--node-rank", "1", "--", "train"))
                .startsWith("--node-rank 1: with --hosts one launch starts the ranks of every host"));
        Path bad = file("bad", "worker-a slots=2\n# fine so far\nworker-b slots=two\n");
        assertEquals(bad + ":3: slots must be a whole number in 1..4096, got 'two'", error(List.of("--hosts",
                bad.toString(), "--", "train")));
        Path noSlots = file("noslots", "worker-a\n");
        assertEquals(noSlots + ":1: 'worker-a' is not 'hostname slots=N' (e.g. worker-1 slots=4)", error(List.of(
                "--hosts", noSlots.toString(), "--", "train")));
        Path twice = file("twice", "worker-a slots=1\nworker-a slots=1\n");
        assertTrue(error(List.of("--hosts", twice.toString(), "--", "train")).startsWith(twice
                + ":2: host worker-a is listed twice"));
        assertTrue(error(List.of("--hosts", dir.resolve("none").toString(), "--", "train")).startsWith("--hosts "
                + dir.resolve("none") + " cannot be read"));
        assertEquals("'it'\\''s'", HostLaunch.quote("it's"));
        String me = java.net.InetAddress.getLocalHost().getHostName();
        assertEquals(me, LaunchCommand.parse(List.of("--hosts", file("mixed", "localhost slots=1\nworker-b slots=1\n")
                .toString(), "--", "train")).masterAddr(), "a loopback first host is named so the others reach it");
        assertEquals("localhost", LaunchCommand.parse(List.of("--hosts", file("local", "localhost slots=2\n")
                .toString(), "--", "train")).masterAddr(), "all local: loopback is fine");
    }

    @Test
    void twoHostsOverSshTrainBitIdenticalToTwoThreads() throws Exception {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        Path hosts = file("hosts", "worker-a slots=1\nworker-b slots=1\n");
        Path launched = dir.resolve("launched.zip");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new LaunchCommand().run(List.of("--hosts", hosts.toString(), "--ssh", fakeSsh().toString(),
                "--master-addr", "127.0.0.1", "--", "train", "--steps", "3", "--out", launched.toString()),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        assertEquals(List.of("worker-a", "worker-b"), Files.readAllLines(dir.resolve("ssh.log")).stream().sorted()
                .toList(), "each rank went through the remote shell to its host");
        assertArrayEquals(ThreadReference.params(),
                ModelSerializer.restoreComputationGraph(launched.toFile()).params().toFloatVector(),
                "2 ranks on 2 hosts over ssh end bit-identical to 2 rank threads");
    }

    @Test
    void anUnreachableHostIsNamed() throws Exception {
        Path hosts = file("hosts", "down-b slots=2\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new LaunchCommand().run(List.of("--hosts", hosts.toString(), "--ssh", fakeSsh().toString(),
                "--", "train"), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        String log = err.toString(StandardCharsets.UTF_8);
        assertEquals(255, status, log);
        assertTrue(log.contains("rank 0 on host down-b: cannot reach host down-b over ssh (exit status 255)"), log);
    }

    @Test
    void theRemoteShellCommandIsSplitAsAShellWould() throws Exception {
        assertEquals(List.of("ssh", "-i", "/keys/my key", "-o", "BatchMode=yes", "a b\"c"),
                HostLaunch.words("  ssh -i '/keys/my key' -o BatchMode=yes \"a b\\\"c\" "));
        assertEquals(List.of("ssh", "-F", "/a dir/cfg"), HostLaunch.words("ssh -F /a\\ dir/cfg"));
        assertTrue(error(List.of("--hosts", file("h", "worker-a slots=1\n").toString(), "--ssh",
                "ssh -i '/keys", "--", "train")).startsWith(
                "--ssh / DS4J_SSH 'ssh -i '/keys' has an unclosed '"));
    }

    /**
     * What sshd's login shell gets: the launcher's DS4J_* and UCX_* variables with the rank's (nothing else of its
     * environment), and a missing working directory or java named with the host, run here by sh as sshd would.
     */
    @Test
    void theRemoteCommandCarriesTheEnvironmentAndNamesWhatTheHostLacks() throws Exception {
        Map<String, String> env = HostLaunch.forwarded(Map.of("DS4J_RENDEZVOUS_TIMEOUT_S", "7", "UCX_TLS", "tcp",
                "PATH", "/launcher/bin", "RANK", "9"), LaunchCommand.rankEnvironment(1, 2, 1, 2, "h", 29500));
        assertEquals(Map.of("DS4J_RENDEZVOUS_TIMEOUT_S", "7", "UCX_TLS", "tcp", "RANK", "1", "WORLD_SIZE", "2",
                "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "29500",
                "MALLOC_ARENA_MAX", LaunchCommand.arenaMax(), "GLIBC_TUNABLES", LaunchCommand.glibcTunables()), env);
        Path spaced = Files.createDirectories(dir.resolve("a dir's $HOME"));
        String printed = remote(spaced, env, List.of("/bin/sh", "-c", "pwd; echo $DS4J_RENDEZVOUS_TIMEOUT_S $RANK"));
        assertEquals("0\n" + spaced + "\n7 1\n", printed);
        String noDir = remote(dir.resolve("gone"), env, List.of("/bin/sh", "-c", "true"));
        assertTrue(noDir.startsWith("1\nds4j launch: host ") && noDir.contains(" has no directory " + dir.resolve(
                "gone") + " (the launcher's working directory)"), noDir);
        String none = remoteWithoutJava(spaced, env, List.of("/no/jdk/bin/java", "-version"));
        assertTrue(none.startsWith("127\nds4j launch: host ") && none.contains(" has no java at /no/jdk/bin/java nor"
                + " on its PATH"), none);
    }

    private static String remote(Path cwd, Map<String, String> env, List<String> java) throws Exception {
        return run(List.of("sh", "-c", HostLaunch.remoteCommand(cwd, env, java)));
    }

    /** The same with a PATH that has hostname but no java, as on a host without java. */
    private String remoteWithoutJava(Path cwd, Map<String, String> env, List<String> java) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("hostname"), Path.of("/bin/hostname"));
        return run(List.of("/usr/bin/env", "PATH=" + bin, "/bin/sh", "-c", HostLaunch.remoteCommand(cwd, env, java)));
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() + "\n" + out;
    }

    /** A rank whose remote shell's input closes (its ssh stopped) is stopped; one that ends keeps its status. */
    @Test
    void theRemoteCommandStopsTheRankWhenItsInputCloses() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", HostLaunch.remoteCommand(dir, Map.of(), List.of("/bin/sh", "-c",
                "echo started; exec sleep 60"))).redirectErrorStream(true).start();
        assertEquals("started", new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8)).readLine());
        p.getOutputStream().close();
        assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "stopped within 10 s, not after 60 s");
        assertEquals(143, p.exitValue(), "java's status after SIGTERM");
        assertEquals("3\n", run(List.of("sh", "-c", HostLaunch.remoteCommand(dir, Map.of(), List.of("/bin/sh", "-c",
                "exit 3"))))); // its input still open
    }

    /** Whether {@code condition} holds within 10 s. */
    static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    @Test
    void dotDs4jEnvFromHomeThenWorkingDirectory() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Files.writeString(home.resolve(".ds4j_env"), "# cluster\nLD_LIBRARY_PATH=/opt/ucx/lib\nUCX_TLS=rc\n\n");
        Files.writeString(cwd.resolve(".ds4j_env"), "UCX_TLS=tcp,sm\n");
        assertEquals(Map.of("LD_LIBRARY_PATH", "/opt/ucx/lib", "UCX_TLS", "tcp,sm"),
                LaunchEnvFile.read(LaunchEnvFile.files(home.toString(), cwd)), "the working directory's wins");
        assertEquals(Map.of(), LaunchEnvFile.read(LaunchEnvFile.files(null, dir)), "no file: nothing");
        Files.writeString(cwd.resolve(".ds4j_env"), "UCX_TLS=tcp\nexport X=1\n");
        assertEquals(cwd.resolve(".ds4j_env") + ":2: 'export X=1' is not KEY=VALUE (e.g. UCX_NET_DEVICES=mlx5_0:1);"
                + " fix or remove the line", assertThrows(IllegalArgumentException.class,
                        () -> LaunchEnvFile.read(LaunchEnvFile.files(home.toString(), cwd))).getMessage());
    }
}
