package io.ds4j.cli.bench;

import io.ds4j.cli.bench.ProbeSetup.Mode;
import io.ds4j.cli.bench.ProbeSetup.Offload;
import io.ds4j.cli.train.WideDigitsModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ds4j bench memory --processes 1,2,3}: ZeRO stage 3 with ranks as processes. For each offload and each N, N
 * child JVMs ({@link MemoryProbe}, started together with torchrun's variables, {@link ChildJvm#runRanks}) train the
 * wide dense network, built partitioned (never initialised: {@link Mode#ZERO_INIT}), one rank each, on their own
 * micro-batches; every child reports its own peak resident memory (VmHWM). A baseline child measured first in the same
 * run gives what a process holds without training, and for each N the same job at {@link #FLOOR_PARAMS} parameters
 * what a rank process of that job holds whatever the model (see {@link ProcessMemoryReport} for how they are
 * compared).
 */
public final class ProcessMemoryBench {
    /** The usage lines, for {@code ds4j help bench}. */
    public static final String USAGE = String.join("\n",
            "usage: ds4j bench memory --processes 1,2,3 [--params N] [--steps N] [--offload none,cpu,nvme]",
            "                         [--xmx SIZE] [--out DIR]",
            "  memory --processes  ZeRO-3 with ranks as processes: for each N, N rank JVMs on 127.0.0.1 (UCX) train",
            "                  the network built partitioned; per child its peak RSS (VmHWM) against the expected",
            "                  peak (the same job at 100k parameters + the stage-3 fixed part + the per-rank ZeRO-3",
            "                  formula), above a baseline child, and how it shrinks with N (default 1,2,3);",
            "                  --params default 16M, --steps 3, --offload none, --xmx 256m (G1 keeps every heap"
                    + " page it",
            "                  touched resident: a larger cap lets garbage set the peak), --out"
                    + " bench-memory-processes");
    private static final Set<String> OPTIONS = Set.of("--processes", "--params", "--steps", "--offload", "--xmx",
            "--out");

    /**
     * What to measure.
     *
     * @param params    parameters wanted
     * @param processes the world sizes, each run as that many rank processes
     * @param steps     training steps per run
     * @param offloads  offload_param and offload_optimizer device of each setup
     * @param xmx       each child's -Xmx
     * @param outDir    where the files go
     */
    public record Plan(long params, List<Integer> processes, int steps, List<Offload> offloads, String xmx,
                       Path outDir) {
        /** Copies the lists. */
        public Plan {
            processes = List.copyOf(processes);
            offloads = List.copyOf(offloads);
        }

        /** @return Ψ of the network the children build */
        public long psi() {
            return ProcessMemoryBench.psi(params);
        }
    }

    /**
     * Parameters of the floor job: the same N-rank job with a network whose model states (under 2 MiB) are small
     * against a rank process's own cost, so its VmHWM is what a rank process of that job holds whatever the model.
     */
    public static final long FLOOR_PARAMS = 100_000;

    /** @return Ψ of the network the children build for {@code params} parameters wanted */
    static long psi(long params) {
        return WideDigitsModel.params(WideDigitsModel.HIDDEN_LAYERS, WideDigitsModel.widthFor(params));
    }

    /**
     * @param params parameters wanted
     * @param n      the world size
     * @return the fixed part per rank of the network the children build ({@link Stage3FixedPart})
     */
    static long fixed(long params, int n) {
        return Stage3FixedPart.of(WideDigitsModel.layers(new org.nd4j.linalg.learning.config.Adam(ProbeSetup.LR),
                io.ds4j.cli.train.TrainJob.SEED, WideDigitsModel.widthFor(params)), n).total();
    }

    private ProcessMemoryBench() {
    }

    /**
     * @param args the arguments after {@code bench memory}, {@code --processes} among them
     * @return the plan
     * @throws io.ds4j.cli.UsageException on a bad argument
     */
    public static Plan plan(List<String> args) {
        BenchArgs a = BenchArgs.parse("bench memory --processes", args, OPTIONS);
        long params = a.count("--params", 16_000_000, 1_000, 500_000_000);
        int steps = (int) a.count("--steps", 3, 1, 1000);
        List<Integer> n = a.list("--processes", List.of("1", "2", "3"), List.of("1", "2", "3", "4", "5", "6", "7",
                "8")).stream().map(Integer::valueOf).toList();
        List<Offload> offloads = a.list("--offload", List.of("none"), List.of("none", "cpu", "nvme")).stream()
                .map(Offload::parse).toList();
        return new Plan(params, n, steps, offloads, a.size("--xmx", "256m"), a.path("--out",
                "bench-memory-processes"));
    }

    /**
     * @param args the arguments after {@code bench memory}
     * @param out  the table
     * @param err  progress
     * @return 0 when every child ran, 1 when one failed or the files could not be written
     */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        Plan plan = plan(args);
        try {
            Files.createDirectories(plan.outDir());
            ChildJvm jvm = new ChildJvm(List.of("-Xmx" + plan.xmx(), ChildJvm.crashDumpsInto(plan.outDir())), 1800);
            ProcessMemoryReport report = measure(plan, jvm, err);
            out.print(report.table());
            for (Path p : report.write(plan.outDir())) {
                err.println("wrote " + p);
            }
            return report.allOk() ? 0 : 1;
        } catch (IOException e) {
            err.println("error: bench memory --processes: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("error: bench memory --processes was interrupted");
            return 1;
        }
    }

    /**
     * Runs the baseline child, then for each offload and N the N rank children.
     *
     * @param plan what to measure
     * @param jvm  how children run
     * @param err  progress
     * @return the report
     * @throws IOException when a child cannot be started or an nvme folder not made
     * @throws InterruptedException when interrupted
     */
    public static ProcessMemoryReport measure(Plan plan, ChildJvm jvm, PrintStream err)
            throws IOException, InterruptedException {
        ProbeSetup base = new ProbeSetup(Mode.BASELINE, 0, Offload.NONE, Offload.NONE,
                new ProbeSetup.Size(plan.params(), 1, plan.steps()), null);
        ProbeResult baseline = ProbeResult.of(jvm.run(MemoryProbe.class, base.toArgs()));
        err.println("bench memory --processes: baseline " + (baseline.ok() ? mib(baseline.bytes("vmhwm"))
                + " MiB VmHWM" : "failed: " + baseline.error()));
        List<ProcessMemoryReport.Row> rows = new ArrayList<>();
        for (Offload o : plan.offloads()) {
            for (int n : plan.processes()) {
                ProcessMemoryReport.Row floor = row(plan.outDir(), o, n, FLOOR_PARAMS, plan.steps(), null, jvm, err);
                rows.add(row(plan.outDir(), o, n, plan.params(), plan.steps(), floor, jvm, err));
            }
        }
        return new ProcessMemoryReport(TrainBench.machine() + ", child -Xmx" + plan.xmx() + ", rank children"
                + " MALLOC_ARENA_MAX=" + io.ds4j.cli.LaunchCommand.arenaMax() + " (as ds4j launch sets it)", baseline,
                rows);
    }

    /** Runs the N rank children of one setup and prints its largest VmHWM. */
    private static ProcessMemoryReport.Row row(Path outDir, Offload o, int n, long params, int steps,
                                               ProcessMemoryReport.Row floor, ChildJvm jvm, PrintStream err)
            throws IOException, InterruptedException {
        ProbeSetup s = new ProbeSetup(Mode.ZERO_INIT, 3, o, o, new ProbeSetup.Size(params, n, steps), null);
        ProcessMemoryReport.Row row = new ProcessMemoryReport.Row(o, n, psi(params), fixed(params, n),
                withNvmeFolder(outDir, s, jvm), floor);
        err.println("bench memory --processes: " + row.name() + (floor == null ? " floor (Ψ " + row.psi() + ")" : "")
                + " " + (row.ok() ? "largest child VmHWM " + mib(row.peak()) + " MiB" : "failed: " + row.error()));
        return row;
    }

    /** The N rank children of {@code s}, with a fresh nvme folder under {@code outDir} when it needs one. */
    private static List<ProbeResult> withNvmeFolder(Path outDir, ProbeSetup s, ChildJvm jvm)
            throws IOException, InterruptedException {
        Path nvme = s.param() == Offload.NVME ? Files.createTempDirectory(outDir.toAbsolutePath(), "nvme-") : null;
        try {
            ProbeSetup withPath = new ProbeSetup(s.mode(), s.stage(), s.optimizer(), s.param(), s.size(), nvme);
            List<ProbeResult> out = new ArrayList<>();
            for (ChildJvm.Result r : jvm.runRanks(MemoryProbe.class, withPath.toArgs(), s.size().worldSize())) {
                out.add(ProbeResult.of(r));
            }
            return out;
        } finally {
            if (nvme != null) {
                MemoryBench.deleteTree(nvme);
            }
        }
    }

    static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
