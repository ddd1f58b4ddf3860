package io.ds4j.cli.bench;

import io.ds4j.cli.UsageException;
import io.ds4j.cli.bench.ProbeSetup.Mode;
import io.ds4j.cli.bench.ProbeSetup.Offload;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ds4j bench capacity}: under one fixed memory limit (each child JVM's {@code -Xmx} and JavaCPP's
 * {@code maxbytes}/{@code maxphysicalbytes}), the largest wide dense network that trains {@value #STEPS} steps, for
 * plain DL4J {@code fit()} (DL4J Adam), ds4j ZeRO-2 with nvme {@code offload_optimizer} and ds4j ZeRO-3 with nvme
 * {@code offload_param} and {@code offload_optimizer} (DeepSpeed's Adam), the network given uninitialised so that
 * stage 3 builds it partitioned ({@link io.ds4j.dl4j.PartitionedConstruction}, as a DeepSpeed user fitting a large
 * model builds it under {@code zero.Init}). Every ds4j config sets the memory knobs of {@link ProbeSetup#KNOBS}. Each
 * setup doubles the parameter count from {@code --start-params}, one child JVM per size, until a child fails (an
 * OutOfMemoryError of the heap or of JavaCPP, or any other failure, reported as it is) or {@code --max-params} is
 * passed.
 *
 * <p>The default limit is one number for all memory: 1 GiB resident ({@code maxphysicalbytes}, which JavaCPP checks
 * against the process's RSS at each of its allocations), with the same heap cap for every setup, {@code -Xmx256m}:
 * none of the three keeps its model states on the Java heap (plain {@code fit()} peaks at 27 MiB of heap, ZeRO-3 at
 * 128M parameters at 122 MiB), and G1 keeps every heap page it has once touched resident, so a heap allowed to grow
 * to 1 GiB inside a 1 GiB budget spent up to ~200 MiB of it on the young generation (measured on the 128M ZeRO-3
 * child: VmHWM 1,055 MiB with {@code -Xmx1g}, 960 MiB with {@code -Xmx256m}). ND4J
 * 1.0.0-M2.1's CPU backend allocates its arrays in native code outside JavaCPP's {@code totalBytes} (the probe measures
 * a peak of a few KiB there), so {@code maxbytes} alone would not bound them.
 */
public final class CapacityBench {
    /** Training steps each child must complete. */
    public static final int STEPS = 3;
    /** The usage lines, for {@code ds4j help bench}. */
    public static final String USAGE = String.join("\n",
            "usage: ds4j bench capacity [--start-params N] [--max-params N] [--xmx SIZE] [--maxbytes SIZE]",
            "                           [--maxphysicalbytes SIZE] [--world-size N] [--setups LIST] [--out DIR]",
            "  capacity        the largest 64 -> 9 x w -> 10 network that trains 3 steps under a fixed memory",
            "                  limit, doubling its parameters from --start-params, one child JVM per size: plain",
            "                  DL4J fit() (fit), ZeRO-2 + nvme offload_optimizer (zero2-nvme), ZeRO-3 + nvme",
            "                  offload_param and offload_optimizer, the network built partitioned (zero3-nvme);",
            "                  a failure ends a setup's doubling; every ds4j config sets the knobs printed",
            "  --start-params N  first size (default 1M); --max-params N  stop doubling above it (default 128M)",
            "  --xmx SIZE        each child's -Xmx (default 256m: no setup keeps model states on the heap)",
            "  --maxbytes SIZE   -Dorg.bytedeco.javacpp.maxbytes (default 1g; ND4J's CPU arrays are allocated",
            "                    outside JavaCPP's count, so it binds JavaCPP's own buffers only)",
            "  --maxphysicalbytes SIZE  -Dorg.bytedeco.javacpp.maxphysicalbytes: the resident-memory limit (heap",
            "                    and native) JavaCPP enforces at each of its allocations (default 1g)",
            "  --world-size N    ds4j ranks (default 1: one machine, one device)",
            "  --setups LIST     some of fit,zero2-nvme,zero3-nvme (default all)",
            "  --out DIR         where bench-capacity.csv/.txt/.png (and DL4J's crash dumps of the failed fit()",
            "                    children) go (default bench-capacity); nvme files go to a temporary folder",
            "                    inside it, deleted after each child");
    /** The setups' names, in run order. */
    public static final List<String> SETUPS = List.of("fit", "zero2-nvme", "zero3-nvme");
    private static final Set<String> OPTIONS = Set.of("--start-params", "--max-params", "--xmx", "--maxbytes",
            "--maxphysicalbytes", "--world-size", "--setups", "--out");

    /**
     * What to measure.
     *
     * @param startParams first size
     * @param maxParams   no size above it runs
     * @param worldSize   ds4j ranks
     * @param setups      setup names, a subset of {@link #SETUPS}
     * @param limits      the child JVM's memory options
     * @param outDir      where the files go
     */
    public record Plan(long startParams, long maxParams, int worldSize, List<String> setups, List<String> limits,
                       Path outDir) {
        /** Copies the lists. */
        public Plan {
            setups = List.copyOf(setups);
            limits = List.copyOf(limits);
        }
    }

    /**
     * One child's outcome.
     *
     * @param setup  the setup's name
     * @param params the parameters asked for
     * @param psi    Ψ of the network built
     * @param result what the child reported
     */
    public record Attempt(String setup, long params, long psi, ProbeResult result) {
    }

    private CapacityBench() {
    }

    /**
     * @param args the arguments after {@code bench capacity}
     * @return the plan
     * @throws UsageException on a bad argument
     */
    public static Plan plan(List<String> args) {
        BenchArgs a = BenchArgs.parse("bench capacity", args, OPTIONS);
        long start = a.count("--start-params", 1_000_000, 1_000, 2_000_000_000);
        long max = a.count("--max-params", 128_000_000, 1_000, 2_000_000_000);
        if (max < start) {
            throw new UsageException("--max-params " + max + " is below --start-params " + start
                    + "; give a maximum at least as large as the start");
        }
        int n = (int) a.count("--world-size", 1, 1, 16);
        List<String> setups = a.list("--setups", SETUPS, SETUPS);
        List<String> limits = List.of("-Xmx" + a.size("--xmx", "256m"),
                "-Dorg.bytedeco.javacpp.maxbytes=" + a.size("--maxbytes", "1g"),
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=" + a.size("--maxphysicalbytes", "1g"));
        return new Plan(start, max, n, setups, limits, a.path("--out", "bench-capacity"));
    }

    /**
     * @param args the arguments after {@code bench capacity}
     * @param out  the table
     * @param err  progress
     * @return 0 when the bench ran (a setup's failure at some size is its result, not an error), 1 when the
     *         smallest size of a setup already failed or the files could not be written
     */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        Plan plan = plan(args);
        try {
            java.nio.file.Files.createDirectories(plan.outDir());
            List<String> options = new ArrayList<>(plan.limits());
            options.add(ChildJvm.crashDumpsInto(plan.outDir()));
            ChildJvm jvm = new ChildJvm(options, 1800);
            CapacityReport report = measure(plan, jvm.launcher(MemoryProbe.class), err);
            out.print(report.table());
            for (Path p : report.write(plan.outDir())) {
                err.println("wrote " + p);
            }
            return plan.setups().stream().allMatch(s -> report.largest(s) != null) ? 0 : 1;
        } catch (IOException e) {
            err.println("error: bench capacity: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("error: bench capacity was interrupted");
            return 1;
        }
    }

    /**
     * Doubles each setup's size until it fails or passes the maximum.
     *
     * @param plan     what to measure
     * @param launcher how a child runs
     * @param err      progress
     * @return the report
     * @throws IOException when a child cannot be started
     * @throws InterruptedException when interrupted
     */
    public static CapacityReport measure(Plan plan, ChildJvm.Launcher launcher, PrintStream err)
            throws IOException, InterruptedException {
        List<Attempt> attempts = new ArrayList<>();
        for (String setup : plan.setups()) {
            for (long params = plan.startParams(); params <= plan.maxParams(); params *= 2) {
                ProbeSetup s = setup(setup, params, plan.worldSize());
                Attempt a = new Attempt(setup, params, psi(params), MemoryBench.withNvmeFolder(plan.outDir(), s,
                        launcher));
                attempts.add(a);
                err.println(String.format(Locale.ROOT, "bench capacity: %-10s Ψ %,13d %s", setup, a.psi(),
                        a.result().ok() ? String.format(Locale.ROOT, "trained, VmHWM %.1f MiB, %.1f s",
                                a.result().bytes("vmhwm") / 1048576.0, a.result().seconds())
                                : "failed: " + a.result().error()));
                if (!a.result().ok()) {
                    break;
                }
            }
        }
        return new CapacityReport(TrainBench.machine() + ", child " + String.join(" ", plan.limits()),
                plan.setups(), attempts);
    }

    private static long psi(long params) {
        return io.ds4j.cli.train.WideDigitsModel.params(io.ds4j.cli.train.WideDigitsModel.HIDDEN_LAYERS,
                io.ds4j.cli.train.WideDigitsModel.widthFor(params));
    }

    /**
     * @param name      fit, zero2-nvme or zero3-nvme
     * @param params    parameters wanted
     * @param worldSize ds4j ranks
     * @return what the child runs
     */
    static ProbeSetup setup(String name, long params, int worldSize) {
        return switch (name) {
            case "fit" -> new ProbeSetup(Mode.FIT, 0, Offload.NONE, Offload.NONE,
                    new ProbeSetup.Size(params, 1, STEPS), null);
            case "zero2-nvme" -> new ProbeSetup(Mode.ZERO, 2, Offload.NVME, Offload.NONE,
                    new ProbeSetup.Size(params, worldSize, STEPS), null);
            case "zero3-nvme" -> new ProbeSetup(Mode.ZERO_INIT, 3, Offload.NVME, Offload.NVME,
                    new ProbeSetup.Size(params, worldSize, STEPS), null);
            default -> throw new IllegalArgumentException("setup '" + name + "' is not one of " + SETUPS);
        };
    }
}
