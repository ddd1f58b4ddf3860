package io.ds4j.cli.bench;

import io.ds4j.cli.bench.ProbeSetup.Mode;
import io.ds4j.cli.bench.ProbeSetup.Offload;
import io.ds4j.cli.train.WideDigitsModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code ds4j bench memory}: for each ZeRO stage and offload, one child JVM ({@link MemoryProbe}) trains the wide
 * dense network a few steps with N ranks; the report sets its peak ledger bytes and its real peak resident memory
 * against the ZeRO formula and a baseline child measured first (see {@link MemoryRow} and {@link MemoryProbe}).
 */
public final class MemoryBench {
    /** The usage lines, for {@code ds4j help bench}. */
    public static final String USAGE = String.join("\n",
            "usage: ds4j bench memory [--params N[,N...]] [--world-size N] [--steps N] [--stages 0,1,2,3]",
            "                         [--offload none,cpu,nvme] [--xmx SIZE] [--fit yes|no] [--out DIR]",
            "  memory          per ZeRO stage x offload (offload_optimizer at stages 1-3, offload_param at 3), one",
            "                  child JVM each: peak ledger per rank by category and tier, the child's peak RSS",
            "                  (VmHWM) and JavaCPP bytes, the ZeRO formula, and the ratios; a baseline child (ND4J,",
            "                  data, the network built, one forward pass, no training) first; CSV + PNG in DIR",
            "  --params N      parameters of the wide dense network 64 -> 9 x w -> 10 (default 4M); several",
            "                  (--params 4M,16M): one table per size (files bench-memory-N.*), then per setup the",
            "                  slope of VmHWM over Ψ against the formula's bytes per parameter (bench-memory-slope.*)",
            "  --world-size N  ranks in each child (default 2)",
            "  --steps N       training steps (default 5)",
            "  --xmx SIZE      each child's -Xmx (default 2g)",
            "  --resident-slack F  the ZeRO children's resident-memory guard (-Dds4j.resident.slack=F: a garbage",
            "                  collection once the resident set grew F x its level of the first 3 steps; 0: off;",
            "                  default: the trainer's, 0.1); it acts on runs longer than a few steps (--steps 480)",
            "  --fit yes|no    whether plain DL4J fit() (same network, data, Adam) runs first as a reference: its",
            "                  formula is the gradient and Adam's state, (4 + 8)Ψ above the baseline (default yes)",
            "  --out DIR       where bench-memory.csv/.txt/.png go (default bench-memory); nvme files go to a",
            "                  temporary folder inside it, deleted after each child");
    private static final Set<String> OPTIONS = Set.of("--params", "--world-size", "--steps", "--stages",
            "--offload", "--xmx", "--out", "--fit", "--resident-slack");

    /**
     * What to measure.
     *
     * @param params    parameters wanted
     * @param worldSize N
     * @param steps     training steps per child
     * @param setups    the (stage, offload) pairs, in run order
     * @param xmx       each child's -Xmx
     * @param outDir    where the files go
     * @param withFit   whether a plain DL4J {@code fit()} child runs first, as a reference
     * @param residentSlack the children's {@code -Dds4j.resident.slack}, or null for the trainer's default
     */
    public record Plan(long params, int worldSize, int steps, List<ProbeSetup> setups, String xmx, Path outDir,
                       boolean withFit, String residentSlack) {
        /** Copies the setups. */
        public Plan {
            setups = List.copyOf(setups);
        }

        /** @return Ψ of the network the children build */
        public long psi() {
            return WideDigitsModel.params(WideDigitsModel.HIDDEN_LAYERS, WideDigitsModel.widthFor(params));
        }
    }

    private MemoryBench() {
    }

    /**
     * @param args the arguments after {@code bench memory}
     * @return the plan of the first (smallest) {@code --params} size
     * @throws io.ds4j.cli.UsageException on a bad argument
     */
    public static Plan plan(List<String> args) {
        return plans(args).get(0);
    }

    /**
     * @param args the arguments after {@code bench memory}
     * @return one plan per {@code --params} size, smallest first
     * @throws io.ds4j.cli.UsageException on a bad argument, or two sizes that build the same network
     */
    public static List<Plan> plans(List<String> args) {
        BenchArgs a = BenchArgs.parse("bench memory", args, OPTIONS);
        List<Plan> plans = new ArrayList<>();
        for (long params : a.counts("--params", 4_000_000, 1_000, 500_000_000)) {
            Plan p = plan(a, params);
            if (!plans.isEmpty() && plans.get(plans.size() - 1).psi() == p.psi()) {
                throw new io.ds4j.cli.UsageException("--params " + plans.get(plans.size() - 1).params() + " and "
                        + params + " build the same network (Ψ " + p.psi() + "); give sizes further apart");
            }
            plans.add(p);
        }
        return List.copyOf(plans);
    }

    private static Plan plan(BenchArgs a, long params) {
        int n = (int) a.count("--world-size", 2, 1, 16);
        int steps = (int) a.count("--steps", 5, 1, 1000);
        List<String> stages = a.list("--stages", List.of("0", "1", "2", "3"), List.of("0", "1", "2", "3"));
        List<String> offloads = a.list("--offload", List.of("none", "cpu", "nvme"), List.of("none", "cpu", "nvme"));
        Path out = a.path("--out", "bench-memory");
        List<ProbeSetup> setups = new ArrayList<>();
        for (String s : stages) {
            int stage = Integer.parseInt(s);
            for (String o : offloads) {
                Offload off = Offload.parse(o);
                if (stage > 0 || off == Offload.NONE) {
                    setups.add(new ProbeSetup(Mode.ZERO, stage, stage >= 1 ? off : Offload.NONE,
                            stage == 3 ? off : Offload.NONE, new ProbeSetup.Size(params, n, steps), null));
                }
            }
        }
        if (setups.isEmpty()) {
            throw new io.ds4j.cli.UsageException("--stages " + stages + " with --offload " + offloads + " names no"
                    + " setup: offload needs stage 1-3; add none or a stage above 0");
        }
        boolean fit = a.list("--fit", List.of("yes"), List.of("yes", "no")).contains("yes");
        String slack = a.string("--resident-slack", null);
        if (slack != null && !slack.trim().matches("(10(\\.0*)?|[0-9](\\.[0-9]*)?)")) {
            throw new io.ds4j.cli.UsageException("--resident-slack must be a fraction from 0 (off) to 10, such as 0.1,"
                    + " got '" + slack + "'");
        }
        return new Plan(params, n, steps, setups, a.size("--xmx", "2g"), out, fit, slack);
    }

    /**
     * @param args the arguments after {@code bench memory}
     * @param out  the table
     * @param err  progress
     * @return 0 when every child ran, 1 when one failed or the files could not be written
     */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--processes")) {
            return ProcessMemoryBench.run(args, out, err); // ranks as processes: a report of its own
        }
        List<Plan> plans = plans(args);
        Path dir = plans.get(0).outDir();
        try {
            Files.createDirectories(dir);
            List<String> options = new ArrayList<>(List.of("-Xmx" + plans.get(0).xmx(), ChildJvm.crashDumpsInto(dir)));
            if (plans.get(0).residentSlack() != null) {
                options.add("-Dds4j.resident.slack=" + plans.get(0).residentSlack().trim());
            }
            ChildJvm jvm = new ChildJvm(options, 1800);
            List<MemoryReport> reports = new ArrayList<>();
            boolean failed = false;
            for (Plan plan : plans) {
                MemoryReport report = measure(plan, jvm.launcher(MemoryProbe.class), err);
                reports.add(report);
                out.print(report.table());
                wrote(report.write(dir, plans.size() == 1 ? "bench-memory" : "bench-memory-" + plan.params()), err);
                failed |= !report.baseline().result().ok() || report.rows().stream().anyMatch(r -> !r.result().ok());
            }
            if (reports.size() > 1) {
                MemorySlope slope = new MemorySlope(reports);
                out.print(slope.table());
                wrote(slope.write(dir), err);
            }
            return failed ? 1 : 0;
        } catch (IOException e) {
            err.println("error: bench memory: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("error: bench memory was interrupted");
            return 1;
        }
    }

    private static void wrote(List<Path> files, PrintStream err) {
        for (Path p : files) {
            err.println("wrote " + p);
        }
    }

    /**
     * Runs the baseline child, then one child per setup.
     *
     * @param plan     what to measure
     * @param launcher how a child runs
     * @param err      progress
     * @return the report
     * @throws IOException when a child cannot be started or the nvme folder not made
     * @throws InterruptedException when interrupted
     */
    public static MemoryReport measure(Plan plan, ChildJvm.Launcher launcher, PrintStream err)
            throws IOException, InterruptedException {
        ProbeSetup base = new ProbeSetup(Mode.BASELINE, 0, Offload.NONE, Offload.NONE,
                new ProbeSetup.Size(plan.params(), plan.worldSize(), plan.steps()), null);
        MemoryRow baseline = new MemoryRow(-1, Offload.NONE, plan.psi(), plan.worldSize(),
                ProbeResult.of(launcher.run(base.toArgs())));
        err.println(progress(baseline));
        List<MemoryRow> rows = new ArrayList<>();
        if (plan.withFit()) {
            ProbeSetup fit = new ProbeSetup(Mode.FIT, 0, Offload.NONE, Offload.NONE, base.size(), null);
            rows.add(new MemoryRow(MemoryRow.FIT, Offload.NONE, plan.psi(), plan.worldSize(),
                    ProbeResult.of(launcher.run(fit.toArgs()))));
            err.println(progress(rows.get(0)));
        }
        for (ProbeSetup s : plan.setups()) {
            Offload off = s.stage() == 0 ? Offload.NONE : s.optimizer();
            ProbeResult r = withNvmeFolder(plan.outDir(), s, launcher);
            MemoryRow row = new MemoryRow(s.stage(), off, plan.psi(), plan.worldSize(), r);
            err.println(progress(row));
            rows.add(row);
        }
        return new MemoryReport(TrainBench.machine() + ", child -Xmx" + plan.xmx() + ", " + plan.steps() + " steps"
                + (plan.residentSlack() != null ? ", -Dds4j.resident.slack=" + plan.residentSlack().trim() : ""),
                baseline, rows);
    }

    /** Runs one child with a fresh nvme folder under {@code outDir} when it needs one, deleted afterwards. */
    static ProbeResult withNvmeFolder(Path outDir, ProbeSetup s, ChildJvm.Launcher launcher)
            throws IOException, InterruptedException {
        if (s.optimizer() != Offload.NVME && s.param() != Offload.NVME) {
            return ProbeResult.of(launcher.run(s.toArgs()));
        }
        Files.createDirectories(outDir);
        Path nvme = Files.createTempDirectory(outDir.toAbsolutePath(), "nvme-");
        try {
            ProbeSetup withPath = new ProbeSetup(s.mode(), s.stage(), s.optimizer(), s.param(), s.size(), nvme);
            return ProbeResult.of(launcher.run(withPath.toArgs()));
        } finally {
            deleteTree(nvme);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String progress(MemoryRow r) {
        return String.format(Locale.ROOT, "bench memory: %-12s %s", r.name(), r.result().ok()
                ? String.format(Locale.ROOT, "VmHWM %.1f MiB, %.1f s", r.realPeak() / 1048576.0, r.result().seconds())
                : "failed: " + r.result().error());
    }
}
