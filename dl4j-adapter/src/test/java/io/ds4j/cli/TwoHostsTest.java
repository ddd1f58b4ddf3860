package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * {@code ds4j launch --hosts FILE} across two hosts, each with its own network: the second host is a network
 * namespace of this machine ({@link NetHost}) with its own address and sshd, reached over a veth link; the hostfile
 * names both by address, so neither rank is local to the launcher and both start through ssh. The ranks meet at the
 * first host's address (the default MASTER_ADDR of a hostfile), and their tensors cross the link: UCX is limited to
 * TCP (in {@code ~/.ds4j_env}, which reaches both hosts), because two real hosts share no memory while these two
 * would. Skipped, naming why, where a namespace or sshd cannot be made (not root, no iproute2, no OpenSSH).
 */
class TwoHostsTest {
    @TempDir
    Path dir;

    @Test
    void oneRankOnEachOfTwoHostsTrainsBitIdenticalToTwoThreadsOverTheLink() throws Exception {
        onTwoHosts((link, client, hosts, first, second) -> {
            Path model = dir.resolve("two-hosts.zip");
            // as many math threads per rank as a rank thread of the reference gets (their count changes the
            // last bits); TCP only, as between two machines
            int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
            Files.writeString(client.resolve(LaunchEnvFile.NAME), "DS4J_RENDEZVOUS_TIMEOUT_S=120\n"
                    + "UCX_TLS=tcp,self\nOMP_NUM_THREADS=" + threads + "\n");
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("HOME", client.toString());
            LaunchCommand.Plan plan = LaunchCommand.parse(List.of("--hosts", hosts.toString(), "--ssh",
                    "ssh -F " + HostLaunch.quote(first.config().toString()), "--master-port",
                    Integer.toString(LaunchCommand.freePort()), "--", "train", "--steps", "3", "--out",
                    model.toString()));
            long sent = link.sent();
            long received = link.received();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = HostLaunch.launch(plan, new PrintStream(err), env);
            String log = err.toString(StandardCharsets.UTF_8);
            assertEquals(0, status, log);
            assertTrue(log.contains("MASTER_ADDR=" + link.address()), log);
            assertEquals(1, first.accepted(), "rank 0 logged in to the first host over ssh");
            assertEquals(1, second.accepted(), "rank 1 logged in to the second host over ssh");
            float[] trained = ModelSerializer.restoreComputationGraph(model.toFile()).params().toFloatVector();
            assertArrayEquals(ThreadReference.params(), trained,
                    "one rank on each of two hosts ends bit-identical to 2 rank threads");
            // each ZeRO-2 step sends the half of the gradient the other rank owns and receives the half this one
            // owns, then the same for the updated parameters: 4 bytes x Ψ each way per step at least
            long floor = 3L * 4 * trained.length;
            assertTrue(link.sent() - sent >= floor, "rank 0 sent its halves over the link: "
                    + (link.sent() - sent) + " bytes against at least " + floor);
            assertTrue(link.received() - received >= floor, "rank 0 received the other halves over the link: "
                    + (link.received() - received) + " bytes against at least " + floor);
        });
    }

    /**
     * The second host loses its network mid-training (its link taken down: no connection closes, nothing answers, as
     * when a host hangs or a cable is pulled). Rank 0 names rank 1, by UCX's keepalive or at the latest when the
     * collective timeout passes (15 s, from {@code DS4J_COLLECTIVE_TIMEOUT_S} in {@code ~/.ds4j_env}), and exits with
     * that error: not a UCX abort while closing (UCX 1.13 asserts when a worker is destroyed with a transfer to the
     * silent host pending), not a hang until TCP gives up many minutes later.
     */
    @Test
    void aHostThatLosesItsNetworkIsNamedWithinTheCollectiveTimeout() throws Exception {
        onTwoHosts((link, client, hosts, first, second) -> {
            Files.writeString(client.resolve(LaunchEnvFile.NAME), "DS4J_RENDEZVOUS_TIMEOUT_S=120\n"
                    + "UCX_TLS=tcp,self\nDS4J_COLLECTIVE_TIMEOUT_S=15\n");
            // each rank's stderr in a file per host, through a remote shell that is ssh with a redirection
            Path ssh = Files.writeString(dir.resolve("ssh-logged"), "#!/bin/sh\nexec ssh -F '"
                    + first.config() + "' \"$@\" 2>>'" + dir + "'/\"$1\".err\n");
            assertTrue(ssh.toFile().setExecutable(true));
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("HOME", client.toString());
            LaunchCommand.Plan plan = LaunchCommand.parse(List.of("--hosts", hosts.toString(), "--ssh",
                    ssh.toString(), "--master-port", Integer.toString(LaunchCommand.freePort()), "--", "train",
                    "--steps", "100000", "--out", dir.resolve("never.zip").toString()));
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                long sent = link.sent();
                java.util.concurrent.Future<Integer> job = pool.submit(() -> HostLaunch.launch(plan,
                        new PrintStream(err, true), env));
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(3);
                while (link.sent() - sent < (2 << 20) && !job.isDone() && System.nanoTime() < deadline) {
                    Thread.sleep(100); // a few steps have crossed the link: the ranks are training
                }
                assertTrue(link.sent() - sent >= (2 << 20), "training crossed the link before the cut: "
                        + err.toString(StandardCharsets.UTF_8));
                link.cut();
                // 15 s of collective timeout, plus the launcher's 30 s for the other rank, plus margin
                int status = job.get(120, java.util.concurrent.TimeUnit.SECONDS);
                String log = err.toString(StandardCharsets.UTF_8);
                assertTrue(status != 0, log);
                String rank0 = Files.readString(dir.resolve(link.address() + ".err"));
                assertTrue(rank0.contains("error: rank 0: ") && rank0.contains("aborted because rank 1 failed"),
                        rank0);
                // whichever notices first: UCX's keepalive on the control endpoint (an endpoint timeout), or the
                // collective timeout, whose message says how to change it
                assertTrue(rank0.contains("the connection to rank 1 was lost (UCX status -80: Endpoint timeout)")
                        || rank0.contains("did not enter") && rank0.contains("DS4J_COLLECTIVE_TIMEOUT_S"), rank0);
                assertFalse(rank0.contains("Assertion") || rank0.contains("Exception in thread"), rank0);
                assertTrue(log.contains("rank 0 on host " + link.address() + " exited with status 1"), log);
            } finally {
                pool.shutdownNow();
            }
        });
    }

    /** What a test runs on the two hosts: the link, the ssh client's home, the hostfile naming both, their sshds. */
    private interface TwoHosts {
        void run(NetHost link, Path client, Path hosts, LocalSshd first, LocalSshd second) throws Exception;
    }

    /**
     * Runs {@code test} with the second host up (a namespace, its link, its sshd) and a hostfile naming both hosts by
     * address; skipped, naming why, where UCX, a namespace or sshd is missing. Everything is stopped afterwards.
     */
    private void onTwoHosts(TwoHosts test) throws Exception {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        try (NetHost link = NetHost.create()) {
            Assumptions.assumeTrue(link != null, () -> "skipped: " + NetHost.why);
            Path client = Files.createDirectories(dir.resolve("home"));
            try (LocalSshd first = LocalSshd.startOn(Files.createDirectories(dir.resolve("a")), client,
                    link.address(), List.of(), List.of(link.address()), null);
                    LocalSshd second = LocalSshd.startOn(Files.createDirectories(dir.resolve("b")), client,
                            link.peer(), link.exec(), List.of(link.peer()), null)) {
                Assumptions.assumeTrue(first != null && second != null, () -> "skipped: " + LocalSshd.why);
                Path hosts = Files.writeString(dir.resolve("hosts"), link.address() + " slots=1\n" + link.peer()
                        + " slots=1\n");
                test.run(link, client, hosts, first, second);
            }
        }
    }
}
