package io.ds4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ds4j launch --hosts FILE}: every host of the hostfile runs its slots as ranks, numbered in file order, with
 * torchrun's variables. Ranks of this machine start as local processes; the others through the remote shell (ssh by
 * default), one connection per rank, running this JVM's java, options and class path in this working directory, as
 * DeepSpeed's launcher expects the same environment on every host. A host ssh cannot reach (exit status 255) is
 * named.
 */
final class HostLaunch {
    private HostLaunch() {
    }

    static int launch(LaunchCommand.Plan plan, PrintStream err) throws IOException {
        List<HostFile.Host> hosts = plan.hosts();
        int port = plan.masterPort() > 0 ? plan.masterPort()
                : HostFile.isLocal(plan.masterAddr()) ? LaunchCommand.freePort()
                : io.ds4j.zero.dist.Distributed.DEFAULT_PORT;
        String master = plan.masterAddr();
        List<String> java = LaunchCommand.javaCommand(plan.command());
        List<Process> ranks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> sshHosts = new ArrayList<>();
        int rank = 0;
        try {
            for (HostFile.Host h : hosts) {
                boolean local = HostFile.isLocal(h.name());
                for (int l = 0; l < h.slots(); l++, rank++) {
                    Map<String, String> env = LaunchCommand.rankEnvironment(rank, plan.nproc(), l, h.slots(), master,
                            port);
                    ProcessBuilder pb;
                    if (local) {
                        pb = new ProcessBuilder(java);
                        pb.environment().putAll(env);
                    } else {
                        List<String> cmd = new ArrayList<>(plan.ssh());
                        cmd.add(h.name());
                        cmd.add(remoteCommand(env, java));
                        pb = new ProcessBuilder(cmd);
                    }
                    ranks.add(pb.inheritIO().start());
                    names.add("rank " + rank + " on host " + h.name());
                    sshHosts.add(local ? null : h.name());
                }
            }
        } catch (IOException e) {
            ranks.forEach(Process::destroyForcibly);
            throw new IOException((local(hosts, rank) ? "" : "the remote shell " + plan.ssh() + " for ") + "rank "
                    + rank + " on host " + host(hosts, rank) + " could not be started: " + e.getMessage(), e);
        }
        err.println("ds4j launch: " + plan.nproc() + " ranks on " + hosts.size() + " host(s), MASTER_ADDR="
                + master + " MASTER_PORT=" + port);
        return LaunchCommand.RankProcesses.waitFor(ranks, names, sshHosts, LaunchCommand.GRACE_MS, err);
    }

    /**
     * The default master (the first host) as the other hosts must name it: a loopback name ({@code localhost}, 127.x)
     * of this machine means nothing on another host, so it becomes this machine's host name when any host is remote.
     */
    static String reachableMaster(String addr, List<HostFile.Host> hosts) {
        boolean loopback = addr.equalsIgnoreCase("localhost") || addr.startsWith("127.") || addr.equals("::1");
        if (!loopback || hosts.stream().allMatch(h -> HostFile.isLocal(h.name()))) {
            return addr;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            throw new IllegalArgumentException("MASTER_ADDR " + addr + " is this machine's loopback, which the other"
                    + " hosts cannot reach, and this machine's host name is unknown (" + e.getMessage() + "); pass"
                    + " --master-addr with a name or address the other hosts reach");
        }
    }

    private static String host(List<HostFile.Host> hosts, int rank) {
        for (HostFile.Host h : hosts) {
            if (rank < h.slots()) {
                return h.name();
            }
            rank -= h.slots();
        }
        return "?";
    }

    private static boolean local(List<HostFile.Host> hosts, int rank) {
        return HostFile.isLocal(host(hosts, rank));
    }

    /**
     * The command line the remote shell runs: {@code cd DIR && exec env VARS... java ...}, every word quoted for a
     * POSIX shell.
     */
    static String remoteCommand(Map<String, String> env, List<String> java) {
        StringBuilder sb = new StringBuilder("cd ").append(quote(Path.of("").toAbsolutePath().toString()))
                .append(" && exec env");
        env.forEach((k, v) -> sb.append(' ').append(quote(k + "=" + v)));
        for (String w : java) {
            sb.append(' ').append(quote(w));
        }
        return sb.toString();
    }

    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
