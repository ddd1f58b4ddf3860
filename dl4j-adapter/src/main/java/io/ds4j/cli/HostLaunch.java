package io.ds4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ds4j launch --hosts FILE}: every host of the hostfile runs its slots as ranks, numbered in file order, with
 * torchrun's variables. Ranks of this machine start as local processes; the others through the remote shell (ssh by
 * default), one connection per rank, running this JVM's java, options and class path in this working directory, as
 * DeepSpeed's launcher expects the same paths on every host. sshd gives the remote command a login environment, not
 * this one, and the home directory: so the command changes to this directory, passes the launcher's
 * {@link #FORWARDED} variables (as DeepSpeed's runner passes {@code NCCL_*}, {@code UCX_*}, ...) and those of
 * {@link LaunchEnvFile} (every rank gets these, local ones too), and names the host when the directory or java is
 * missing there. A host ssh cannot reach (exit status 255) is named.
 */
final class HostLaunch {
    /**
     * Variables of the launcher's environment that the remote ranks get too, by prefix: ds4j's and UCX's settings,
     * and those of the math libraries (OpenMP, OpenBLAS, MKL), which change float results: a login shell without the
     * launcher's {@code OPENBLAS_CORETYPE=Haswell} let OpenBLAS pick another kernel here, and the ranks' parameters
     * differed from the local run's in the last bit.
     */
    static final List<String> FORWARDED = List.of("DS4J_", "UCX_", "OMP_", "OPENBLAS_", "MKL_");

    private HostLaunch() {
    }

    static int launch(LaunchCommand.Plan plan, PrintStream err) throws IOException {
        return launch(plan, err, System.getenv());
    }

    /** As {@link #launch(LaunchCommand.Plan, PrintStream)}, with {@code callerEnv} as the launcher's environment. */
    static int launch(LaunchCommand.Plan plan, PrintStream err, Map<String, String> callerEnv) throws IOException {
        List<HostFile.Host> hosts = plan.hosts();
        List<Path> envFiles = LaunchEnvFile.files(callerEnv.get("HOME"), Path.of("").toAbsolutePath());
        Map<String, String> fileEnv = LaunchEnvFile.read(envFiles);
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
                    Map<String, String> env = new java.util.HashMap<>(fileEnv);
                    env.putAll(LaunchCommand.rankEnvironment(rank, plan.nproc(), l, h.slots(), master, port));
                    ProcessBuilder pb;
                    if (local) {
                        pb = new ProcessBuilder(java).inheritIO();
                        pb.environment().putAll(env);
                    } else {
                        List<String> cmd = new ArrayList<>(plan.ssh());
                        cmd.add(h.name());
                        cmd.add(remoteCommand(Path.of("").toAbsolutePath(), forwarded(callerEnv, env), java));
                        // ssh's input is a pipe that stays open while the rank runs (never the launcher's own input):
                        // the remote command stops the rank when it closes, as when ssh is stopped (remoteCommand)
                        pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                                .redirectError(ProcessBuilder.Redirect.INHERIT);
                    }
                    ranks.add(pb.start());
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
                + master + " MASTER_PORT=" + port + (fileEnv.isEmpty() ? "" : ", with " + fileEnv.keySet() + " from "
                + envFiles.stream().filter(Files::isRegularFile).toList()));
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

    /** The rank's variables (with {@link LaunchEnvFile}'s) over the launcher's {@link #FORWARDED} ones, by name. */
    static Map<String, String> forwarded(Map<String, String> callerEnv, Map<String, String> rankEnv) {
        Map<String, String> out = new java.util.TreeMap<>();
        callerEnv.forEach((k, v) -> {
            if (FORWARDED.stream().anyMatch(k::startsWith)) {
                out.put(k, v);
            }
        });
        out.putAll(rankEnv);
        return out;
    }

    /**
     * The command line the remote shell runs, for a POSIX login shell, every word quoted: change to {@code dir}, find
     * java (this JVM's path, else the first on the remote PATH), run {@code env VARS... java ...} and return its
     * status. A missing directory (status 1) or java (127) is named with the host. sshd does not stop a command whose
     * connection is gone (no terminal, no hang-up signal), so a watcher stops java (SIGTERM) when the command's input,
     * the ssh connection, closes: when the launcher stops ssh after another rank failed, or the launcher dies.
     */
    static String remoteCommand(Path dir, Map<String, String> env, List<String> java) {
        String here = "{ echo \"ds4j launch: host $(hostname)\" ";
        StringBuilder sb = new StringBuilder("cd ").append(quote(dir.toString())).append(" 2>/dev/null || ")
                .append(here).append(quote("has no directory " + dir + " (the launcher's working directory); start"
                        + " ds4j launch from a directory that every host has, e.g. on a shared file system"))
                .append(" >&2; exit 1; }; j=").append(quote(java.get(0)))
                .append("; [ -x \"$j\" ] || j=$(command -v java) || ").append(here)
                .append(quote("has no java at " + java.get(0) + " nor on its PATH; install the launcher's JDK at the"
                        + " same path on every host")).append(" >&2; exit 127; }; exec 3<&0 </dev/null; env");
        env.forEach((k, v) -> sb.append(' ').append(quote(k + "=" + v)));
        sb.append(" \"$j\"");
        for (String w : java.subList(1, java.size())) {
            sb.append(' ').append(quote(w));
        }
        // fd 3 is the connection's input: a background list's own input would be /dev/null
        return sb.append(" 3<&- & p=$!; { cat <&3 >/dev/null 2>&1; kill $p 2>/dev/null; } & w=$!; exec 3<&-;")
                .append(" wait $p; s=$?; kill $w 2>/dev/null; exit $s").toString();
    }

    /**
     * The words of a remote shell command ({@code --ssh}, {@code DS4J_SSH}) as a POSIX shell splits them: blanks
     * separate words, single and double quotes and backslashes keep blanks in one ({@code ssh -i '/keys/my key'}).
     */
    static List<String> words(String command) {
        List<String> out = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (w != null) {
                    out.add(w.toString());
                    w = null;
                }
                continue;
            }
            w = w == null ? new StringBuilder() : w;
            if (quote == 0 && (c == '\'' || c == '"')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            } else if (c == '\\' && quote != '\'' && i + 1 < command.length()) {
                w.append(command.charAt(++i));
            } else {
                w.append(c);
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("--ssh / DS4J_SSH '" + command + "' has an unclosed " + quote
                    + "; close it, e.g. ssh -i '/keys/my key'");
        }
        if (w != null) {
            out.add(w.toString());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--ssh / DS4J_SSH is empty; give the remote shell, e.g. ssh -o"
                    + " BatchMode=yes");
        }
        return out;
    }

    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
