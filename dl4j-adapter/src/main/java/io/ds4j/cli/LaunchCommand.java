package io.ds4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code ds4j launch --nproc N [--nnodes M --node-rank K] [--master-addr A] [--master-port P] -- COMMAND ...}: starts
 * N processes of {@code ds4j COMMAND ...} on this host with torchrun's variables set ({@code RANK},
 * {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT}), as
 * {@code torchrun --nproc-per-node N} does; on several hosts, run it once per host with the same
 * {@code --nnodes}, {@code --master-addr} and {@code --master-port} and that host's {@code --node-rank}. When a process
 * fails the others are stopped; the exit status is the first failure's.
 */
public final class LaunchCommand implements Command {
    /** How long the others get to exit on their own (naming the failed rank) before they are stopped. */
    static final long GRACE_MS = 30_000;

    @Override
    public String name() {
        return "launch";
    }

    @Override
    public String summary() {
        return "start N ranks as processes (torchrun's variables) running a ds4j command, e.g. train";
    }

    @Override
    public String usage() {
        return String.join("\n",
                "usage: ds4j launch --nproc N [--nnodes M --node-rank K] [--master-addr A] [--master-port P]"
                        + " -- COMMAND",
                "  --nproc N        processes (ranks) on this host",
                "  --nnodes M       hosts in the job (default 1); run one launch per host",
                "  --node-rank K    this host's index, 0..M-1 (default 0); ranks K*N .. K*N+N-1 run here",
                "  --master-addr A  the host of rank 0 (default 127.0.0.1)",
                "  --master-port P  rank 0's rendezvous port (default: a free port with one host, else 29500)",
                "  COMMAND          a ds4j command and its arguments, e.g. train --steps 50 config.json",
                "       ds4j launch --hosts FILE [--nproc N] [--nnodes M] [--include H1@H2] [--exclude H3] [--ssh CMD]",
                "                   [--master-addr A] [--master-port P] -- COMMAND",
                "  --hosts FILE     DeepSpeed's hostfile: 'hostname slots=N' per line (# comments); every host"
                        + " runs its",
                "                   slots as ranks, in file order; this machine without ssh, the others over ssh with",
                "                   the same java, class path and working directory",
                "  --nproc N        with --hosts: N ranks on every host instead of its slots (deepspeed --num_gpus)",
                "  --nnodes M       with --hosts: only the first M hosts left by --include/--exclude (--num_nodes)",
                "  --include/--exclude  only / not these hosts of FILE, separated by @",
                "  --ssh CMD        the remote shell (default: $DS4J_SSH, else ssh -o BatchMode=yes)",
                "  KEY=VALUE lines of ~/.ds4j_env and ./.ds4j_env go to every rank (DeepSpeed's .deepspeed_env)",
                "  MASTER_ADDR defaults to the first host of FILE; MASTER_PORT to 29500 (a free port when that host is",
                "  this machine)",
                "Each process gets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT as from"
                        + " torchrun.");
    }

    /**
     * What to start: {@code nproc} ranks on this host as node {@code nodeRank} of {@code nnodes}, or with
     * {@code hosts} (a hostfile) every host's slots, over {@code ssh} where a host is not this machine.
     */
    record Plan(int nproc, int nnodes, int nodeRank, String masterAddr, int masterPort, List<String> command,
            List<HostFile.Host> hosts, List<String> ssh) {
        /** A plan for this host only. */
        Plan(int nproc, int nnodes, int nodeRank, String masterAddr, int masterPort, List<String> command) {
            this(nproc, nnodes, nodeRank, masterAddr, masterPort, command, null, List.of());
        }
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        Plan plan;
        try {
            plan = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println(usage());
            return 2;
        }
        try {
            return plan.hosts() != null ? HostLaunch.launch(plan, err) : launch(plan, err);
        } catch (IllegalArgumentException e) { // a bad .ds4j_env line
            err.println("error: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("error: cannot start a rank process: " + e.getMessage());
            return 1;
        }
    }

    static Plan parse(List<String> args) {
        int dash = args.indexOf("--");
        if (dash < 0 || dash == args.size() - 1) {
            throw new IllegalArgumentException("launch: give the command to run after --, e.g. -- train config.json");
        }
        int nproc = -1;
        int nnodes = -1; // -1: not given
        int nodeRank = -1;
        String addr = null;
        int port = 0;
        Path hostsFile = null;
        String include = null;
        String exclude = null;
        String ssh = System.getenv().getOrDefault("DS4J_SSH", "ssh -o BatchMode=yes");
        for (int i = 0; i < dash; i += 2) {
            String key = args.get(i);
            if (i + 1 >= dash) {
                throw new IllegalArgumentException(key + " needs a value");
            }
            String v = args.get(i + 1);
            switch (key) {
                case "--nproc", "--nproc-per-node" -> nproc = (int) WholeNumbers.parse(key, v, 1, 4096);
                case "--nnodes" -> nnodes = (int) WholeNumbers.parse(key, v, 1, 65536);
                case "--node-rank" -> nodeRank = (int) WholeNumbers.parse(key, v, 0, 65535);
                case "--master-addr" -> addr = v;
                case "--master-port" -> port = (int) WholeNumbers.parse(key, v, 1, 65535);
                case "--hosts" -> hostsFile = Path.of(v);
                case "--include" -> include = v;
                case "--exclude" -> exclude = v;
                case "--ssh" -> ssh = v;
                default -> throw new IllegalArgumentException("unknown option " + key);
            }
        }
        List<String> command = List.copyOf(args.subList(dash + 1, args.size()));
        if (hostsFile != null) {
            if (nodeRank >= 0) {
                throw new IllegalArgumentException("--node-rank " + nodeRank + ": with --hosts one launch starts the"
                        + " ranks of every host; leave out --node-rank (it is for one launch per host, without"
                        + " --hosts)");
            }
            List<HostFile.Host> hosts = HostFile.filter(HostFile.read(hostsFile), include, exclude, hostsFile);
            hosts = HostFile.limit(hosts, nnodes, nproc, hostsFile);
            List<String> shell = HostLaunch.words(ssh);
            return new Plan(hosts.stream().mapToInt(HostFile.Host::slots).sum(), hosts.size(), 0,
                    addr != null ? addr : HostLaunch.reachableMaster(hosts.get(0).name(), hosts), port, command, hosts,
                    shell);
        }
        if (include != null || exclude != null) {
            throw new IllegalArgumentException("--include and --exclude select hosts of a --hosts file");
        }
        addr = addr != null ? addr : "127.0.0.1";
        nnodes = Math.max(nnodes, 1);
        nodeRank = Math.max(nodeRank, 0);
        if (nproc < 0) {
            throw new IllegalArgumentException("--nproc is required: the number of rank processes on this host");
        }
        if (nodeRank >= nnodes) {
            throw new IllegalArgumentException("--node-rank " + nodeRank + " is outside 0.." + (nnodes - 1)
                    + " for --nnodes " + nnodes);
        }
        if (port == 0 && nnodes > 1) {
            port = io.ds4j.zero.dist.Distributed.DEFAULT_PORT; // every host must name the same port
        }
        return new Plan(nproc, nnodes, nodeRank, addr, port, command);
    }

    private static int launch(Plan plan, PrintStream err) throws IOException {
        int port = plan.masterPort() > 0 ? plan.masterPort() : freePort();
        List<Process> ranks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int local = 0; local < plan.nproc(); local++) {
            int rank = plan.nodeRank() * plan.nproc() + local;
            ProcessBuilder pb = new ProcessBuilder(javaCommand(plan.command())).inheritIO();
            pb.environment().putAll(rankEnvironment(rank, plan.nnodes() * plan.nproc(), local, plan.nproc(),
                    plan.masterAddr(), port));
            ranks.add(pb.start());
            names.add("rank " + rank);
        }
        return RankProcesses.waitFor(ranks, names, null, GRACE_MS, err);
    }

    /**
     * The variables {@code ds4j launch} sets for one rank process: torchrun's, glibc's {@code MALLOC_ARENA_MAX}
     * ({@value #ARENA_MAX} unless the launcher's environment sets it, then that value) and {@value #TUNABLES}
     * ({@link #glibcTunables}: transparent huge pages for malloc).
     *
     * <p>Why the arena cap: a rank process allocates its native buffers (ND4J arrays of shards, gathered layers,
     * transport staging) from several threads, and glibc gives each thread its own arena (up to 8 per core), whose
     * freed chunks only that arena reuses; buffers of a few MiB that are allocated and freed on one thread and needed
     * on another add up. Measured with {@code bench memory --processes} (ZeRO-3, Ψ = 16M, 4 rank processes): each
     * process's VmHWM 276-286 MiB with glibc's default, 248-255 with 2 arenas (and with 1; with 4, 258-284). Users of
     * {@code mpirun}, {@code srun} or torchrun export it themselves (multi-process page).
     *
     * @param rank the global rank
     * @param world the world size
     * @param local the rank on its host
     * @param localWorld ranks on its host
     * @param masterAddr rank 0's host
     * @param port rank 0's port
     * @return the variables
     */
    public static Map<String, String> rankEnvironment(int rank, int world, int local, int localWorld,
                                                      String masterAddr, int port) {
        return Map.of("RANK", Integer.toString(rank), "WORLD_SIZE", Integer.toString(world), "LOCAL_RANK",
                Integer.toString(local), "LOCAL_WORLD_SIZE", Integer.toString(localWorld), "MASTER_ADDR", masterAddr,
                "MASTER_PORT", Integer.toString(port), "MALLOC_ARENA_MAX", arenaMax(), TUNABLES, glibcTunables());
    }

    /** glibc's tunables variable. */
    public static final String TUNABLES = "GLIBC_TUNABLES";

    /**
     * The glibc tunables each rank process gets unless the launcher's environment sets {@value #TUNABLES}: malloc
     * asks the kernel for transparent huge pages for the memory it maps (glibc 2.35 and later; older glibc and other C
     * libraries ignore it), which matters where THP is {@code madvise} (the usual default).
     *
     * <p>Why: within a host UCX copies each message between the rank processes (cross-memory attach), and the kernel
     * pins and copies it page by page; ND4J arrays, direct buffers and UCX's staging are malloc'd, so with 2 MiB pages
     * instead of 4 KiB ones the copies are faster. Measured with {@code ucx_perftest -t tag_bw -s 67108864} on
     * 127.0.0.1: 5.29 / 4.06 GB/s without, 6.95 / 5.56 GB/s with it. What it costs, {@code bench memory --processes
     * 1,2,4} (ZeRO-3, Ψ = 16M), two runs each: VmHWM per rank process 417-424 MiB either way at N = 1, 294-303
     * against 298-303 at N = 2, 231-242 against 238-250 at N = 4: a few MiB, where a process touches part of a huge
     * page. Only the rank processes get it, not the processes that start them.
     */
    public static final String HUGE_PAGES = "glibc.malloc.hugetlb=1";

    /** @return the launcher's {@value #TUNABLES}, or {@link #HUGE_PAGES} */
    public static String glibcTunables() {
        String v = System.getenv(TUNABLES);
        return v == null || v.isBlank() ? HUGE_PAGES : v;
    }

    /** glibc's arena cap each rank process gets unless the launcher's environment sets {@code MALLOC_ARENA_MAX}. */
    public static final String ARENA_MAX = "2";

    /** @return the launcher's {@code MALLOC_ARENA_MAX}, or {@link #ARENA_MAX} */
    public static String arenaMax() {
        String v = System.getenv("MALLOC_ARENA_MAX");
        return v == null || v.isBlank() ? ARENA_MAX : v;
    }

    /** This JVM's java, JVM options and class path, running {@link Main} with {@code command}. */
    static List<String> javaCommand(List<String> command) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(command);
        return cmd;
    }

    /** @return a port free on this host now */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Waiting for the rank processes as torchrun does. */
    static final class RankProcesses {
        private RankProcesses() {
        }

        /**
         * Waits for every process; after the first failure the others get {@code graceMs} to exit on their own, then
         * are stopped.
         *
         * @param names    how to name each process in messages ({@code rank 3 on host h})
         * @param sshHosts the host each process reaches over ssh, or null entries (and list) for local ones: ssh's
         *                 exit status 255 is reported as that host being unreachable
         * @return 0, or the exit status of the first process that failed
         */
        static int waitFor(List<Process> ranks, List<String> names, List<String> sshHosts, long graceMs,
                PrintStream err) {
            int status = 0;
            long deadline = Long.MAX_VALUE;
            List<Process> running = new ArrayList<>(ranks);
            while (!running.isEmpty()) {
                for (Process p : List.copyOf(running)) {
                    if (!p.isAlive()) {
                        running.remove(p);
                        closeInput(p); // a remote shell's input: what it left behind on its host stops reading
                        int i = ranks.indexOf(p);
                        String host = sshHosts == null ? null : sshHosts.get(i);
                        if (p.exitValue() == 255 && host != null) {
                            err.println("ds4j launch: " + names.get(i) + ": cannot reach host " + host + " over ssh"
                                    + " (exit status 255); check that `ssh " + host + " true` works without a password"
                                    + " prompt, or set --ssh / DS4J_SSH");
                        }
                        if (p.exitValue() != 0 && status == 0) {
                            status = p.exitValue();
                            err.println("ds4j launch: " + names.get(i) + " exited with status " + status
                                    + "; stopping the others within " + graceMs / 1000 + " s");
                            deadline = System.currentTimeMillis() + graceMs;
                        }
                    }
                }
                if (System.currentTimeMillis() > deadline) {
                    running.forEach(Process::destroyForcibly);
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(100);
                } catch (InterruptedException e) {
                    running.forEach(Process::destroyForcibly);
                    Thread.currentThread().interrupt();
                    return 1;
                }
            }
            return status;
        }

        private static void closeInput(Process p) {
            try {
                p.getOutputStream().close();
            } catch (java.io.IOException e) {
                // already closed: nothing waits on it
            }
        }
    }
}
