package io.ds4j.cli.bench;

import io.ds4j.cli.LaunchCommand;
import io.ds4j.cli.UsageException;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * {@code ds4j bench comm}: bus bandwidth of all-reduce, reduce-scatter and all-gather between 2 ranks as threads of
 * this JVM ({@link InProcessCollectives}), as 2 UCX processes on 127.0.0.1 ({@link CommProbe} children) and UCX's own
 * {@code ucx_perftest} tag bandwidth between 2 processes ({@link PerfTest}), on the same machine in the same run.
 * Each round runs all three, one after the other, so that load from other processes falls on all of them alike; the
 * report takes the median over every timed repetition of every round ({@link CommReport}). The UCX processes get
 * {@code GLIBC_TUNABLES} as {@code ds4j launch} gives its ranks (transparent huge pages for malloc,
 * {@link LaunchCommand#HUGE_PAGES}), which makes UCX's copies faster too; so ucx_perftest runs both with this
 * environment as it is and with the ranks' setting, and the report gives the ratio to each.
 */
public final class CommBench {
    /** Usage lines for {@code ds4j help bench}. */
    public static final String USAGE = String.join("\n",
            "usage: ds4j bench comm [--sizes 1M,4M,16M,64M,256M] [--rounds R] [--iterations I] [--out DIR]",
            "  comm            bus bandwidth of all-reduce, reduce-scatter and all-gather, 2 ranks: threads vs UCX",
            "                  processes on 127.0.0.1 vs ucx_perftest's tag bandwidth (package ucx-utils)",
            "  --sizes S       vector sizes in bytes, comma-separated (default 1M,4M,16M,64M,256M; binary units)",
            "  --rounds R      rounds, each running every contender (default 3)",
            "  --iterations I  timed repetitions per size and round (default: 3-20, about 256 MB per size)",
            "  --out DIR       where bench-comm.csv/.txt/.png go (default bench-comm)");
    private static final int WORLD = 2;

    private CommBench() {
    }

    /** What to run. */
    record Plan(List<Long> sizes, int rounds, int iterations, Path out) {
    }

    static Plan parse(List<String> args) {
        BenchArgs a = BenchArgs.parse("bench comm", args, Set.of("--sizes", "--rounds", "--iterations", "--out"));
        List<Long> sizes = new ArrayList<>();
        for (String s : a.string("--sizes", "1M,4M,16M,64M,256M").split(",")) {
            String v = s.trim().toLowerCase(Locale.ROOT);
            if (!v.matches("[1-9][0-9]*[kmg]?") || BenchArgs.bytes(v) > (1L << 30)) {
                throw new UsageException("--sizes takes sizes in bytes such as 4096, 64k, 1M or 256M (binary units, at"
                        + " most 1G), comma-separated; got '" + s + "'");
            }
            long b = BenchArgs.bytes(v);
            if (b % (4L * WORLD) != 0) {
                throw new UsageException("--sizes: " + s + " bytes is not a whole number of floats per rank; use a"
                        + " multiple of " + 4 * WORLD);
            }
            sizes.add(b);
        }
        return new Plan(List.copyOf(sizes), (int) a.count("--rounds", 3, 1, 100), (int) a.count("--iterations", 0,
                0, 1000), a.path("--out", "bench-comm"));
    }

    /** Runs the bench; the table goes to {@code out}, progress to {@code err}. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        Plan plan = parse(args);
        try {
            CommReport report = measure(plan, err);
            out.print(report.table());
            for (Path p : report.write(plan.out())) {
                err.println("bench comm: wrote " + p);
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("bench comm: interrupted");
            return 1;
        }
    }

    private static CommReport measure(Plan plan, PrintStream err) throws IOException, InterruptedException {
        double before = load();
        Optional<PerfTest> perftest = PerfTest.find(err);
        boolean ucx = UcxLibrary.available();
        if (!ucx) {
            err.println("bench comm: UCX processes skipped: " + UcxLibrary.unavailableReason().orElse("")
                    + "; " + UcxLibrary.INSTALL_HINT);
        }
        Map<String, List<CommProbe.Sample>> samples = new LinkedHashMap<>();
        Map<Long, List<Double>> reference = new LinkedHashMap<>();
        Map<Long, List<Double>> referenceRanks = new LinkedHashMap<>();
        String tunables = LaunchCommand.glibcTunables();
        Map<String, String> rankEnv = Map.of(LaunchCommand.TUNABLES, tunables); // as ds4j launch's ranks have it
        boolean sameEnv = tunables.equals(System.getenv(LaunchCommand.TUNABLES));
        List<CommProbe.Split> splits = new ArrayList<>();
        long[] staging = {-1, -1};
        for (int round = 1; round <= plan.rounds(); round++) {
            err.printf(Locale.ROOT, "bench comm: round %d of %d%n", round, plan.rounds());
            if (perftest.isPresent()) {
                for (long bytes : plan.sizes()) {
                    int iterations = CommProbe.iterations(bytes, plan.iterations());
                    double plain = perftest.get().tagBandwidth(bytes, iterations, Map.of());
                    reference.computeIfAbsent(bytes, b -> new ArrayList<>()).add(plain);
                    referenceRanks.computeIfAbsent(bytes, b -> new ArrayList<>()).add(sameEnv ? plain
                            : perftest.get().tagBandwidth(bytes, iterations, rankEnv));
                }
            }
            samples.computeIfAbsent("threads", k -> new ArrayList<>()).addAll(threads(plan));
            if (ucx) {
                samples.computeIfAbsent("ucx", k -> new ArrayList<>()).addAll(processes(plan, splits, staging,
                        rankEnv));
            }
        }
        String mode = System.getenv().getOrDefault("DS4J_UCX_ERROR_HANDLING", "control").trim();
        String means = switch (mode) {
            case "peer" -> " (UCX's peer error handling on every endpoint: TCP between processes of one host)";
            case "none" -> " (no error handling: UCX may use shared memory between the processes)";
            default -> " (data without error handling, so UCX may use shared memory between the processes; a control"
                    + " endpoint with UCX's peer error handling names a lost peer)";
        };
        String held = staging[1] < 0 ? "" : String.format(Locale.ROOT, "; UCX staging (DS4J_UCX_STAGING) held at the"
                + " end: at most %.1f MiB per rank process, budget %.0f MiB", staging[0] / 1048576.0, staging[1]
                / 1048576.0);
        String env = "; UCX rank processes with " + LaunchCommand.TUNABLES + "=" + tunables + " as ds4j launch sets it"
                + (sameEnv ? " (so is this environment's, which ucx_perftest runs with)" : " (this environment has "
                + (System.getenv(LaunchCommand.TUNABLES) == null ? "none" : System.getenv(LaunchCommand.TUNABLES))
                + "; ucx_perftest runs with both)");
        return new CommReport(TrainBench.machine() + "; DS4J_UCX_ERROR_HANDLING=" + (mode.isEmpty() ? "control" : mode)
                + means + held + env, tunables, WORLD, plan.sizes(), samples, reference, referenceRanks, splits,
                new double[] {before, load()});
    }

    private static List<CommProbe.Sample> threads(Plan plan) {
        List<InProcessCollectives> group = InProcessCollectives.create(WORLD, Duration.ofSeconds(120));
        return Ranks.run(group, c -> CommProbe.measure(c, plan.sizes(), false, plan.iterations())).get(0);
    }

    /**
     * Two {@link CommProbe} child JVMs meeting at a free port of 127.0.0.1; rank 0's samples (and its splits; the most
     * staging bytes any rank held, and the budget, go to {@code staging}).
     */
    private static List<CommProbe.Sample> processes(Plan plan, List<CommProbe.Split> splits, long[] staging,
            Map<String, String> env) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        long largest = plan.sizes().stream().mapToLong(Long::longValue).max().orElse(0);
        String mib = Long.toString(Math.max(512, 4 * (largest >> 20) + 256)); // Java array, staging, ND4J arrays
        ChildJvm jvm = new ChildJvm(List.of("-Xmx" + mib + "m", "-XX:MaxDirectMemorySize=" + mib + "m",
                "-Dorg.bytedeco.javacpp.maxbytes=" + mib + "m"), 1800);
        String sizes = plan.sizes().stream().map(String::valueOf).collect(Collectors.joining(","));
        List<CompletableFuture<ChildJvm.Result>> ranks = new ArrayList<>();
        for (int r = 0; r < WORLD; r++) {
            List<String> a = List.of(Integer.toString(r), Integer.toString(WORLD), Integer.toString(port), sizes,
                    Integer.toString(plan.iterations()));
            ranks.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return jvm.run(CommProbe.class, a, env);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }));
        }
        List<CommProbe.Sample> out = new ArrayList<>();
        for (int r = 0; r < WORLD; r++) {
            ChildJvm.Result res = ranks.get(r).join();
            if (res.exitCode() != 0) {
                throw new IllegalStateException("bench comm: UCX rank process " + r + " failed (exit " + res.exitCode()
                        + (res.timedOut() ? ", timed out" : "") + "): " + res.lastErrorLine());
            }
            out.addAll(CommProbe.parse(res.stdout()));
            splits.addAll(CommProbe.parseSplits(res.stdout()));
            long[] held = CommProbe.parseStaging(res.stdout());
            staging[0] = Math.max(staging[0], held[0]);
            staging[1] = Math.max(staging[1], held[1]);
        }
        return out;
    }

    /** The 1-minute load average, or NaN where /proc/loadavg is missing. */
    static double load() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
