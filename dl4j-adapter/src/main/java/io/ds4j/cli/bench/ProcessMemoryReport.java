package io.ds4j.cli.bench;

import static io.ds4j.cli.bench.ProcessMemoryBench.mib;

import io.ds4j.cli.bench.ProbeSetup.Offload;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * {@code bench memory --processes}'s results. What a rank's <b>trainer</b> holds is measured in its JVM with the
 * trainer open after training minus right after it closed ({@code held.native} + {@code held.heap}, see
 * {@code MemoryProbe.liveBytes}). A rank process's <b>held</b> peak is its VmHWM minus what a process
 * holds without training: the baseline child's VmHWM less the 4Ψ of the initialised network it builds, which a
 * partitioned rank never allocates (live at the baseline's peak: its only large native buffer then, measured with
 * heaptrack). Held bytes are set against the per-rank ZeRO-3 formula in memory (fp32 Adam:
 * (4 + 4 + 8)Ψ/N, less what nvme keeps in files; {@link MemoryRow#formulaInMemory()}), and against the same
 * offload's N = 1 row: model states shrink as 1/N, the transients (one gathered layer, the compute scratch, the
 * collectives' buffers) do not. So that "follows 1/N" can be checked, each N gets its <b>expected</b> peak: its
 * <b>floor</b> (the largest VmHWM of the same N-process job with a network of {@link ProcessMemoryBench#FLOOR_PARAMS}
 * parameters, less that network's own fixed part and formula: what a rank process of that job holds whatever the
 * model, the JVM, ND4J, the compiled training code, the transport and the data, none of which the baseline child has)
 * plus the fixed part the stage-3 knobs bound ({@link Stage3FixedPart}, DeepSpeed's largest-layer term) plus the
 * formula, and the ratio of the largest child's VmHWM to it. <b>GC-freed</b> is what full collections at the end
 * (trainer still open) gave back to the system: native memory of unreachable arrays that only a collection frees.
 *
 * @param machine  one line describing the machine and the child JVM options
 * @param baseline the baseline child
 * @param rows     one row per offload and N, in run order
 */
public record ProcessMemoryReport(String machine, ProbeResult baseline, List<Row> rows) {
    /** The CSV columns. */
    public static final List<String> COLUMNS = List.of("setup", "processes", "status", "params",
            "formula_in_memory_per_rank_bytes", "ledger_peak_in_memory_per_rank_bytes", "vmhwm_per_child_bytes",
            "largest_vmhwm_bytes", "largest_javacpp_total_peak_bytes", "largest_heap_peak_bytes",
            "baseline_vmhwm_bytes", "held_bytes", "held_ratio_to_formula",
            "held_ratio_to_one_process", "one_over_n", "fixed_part_bytes", "floor_params", "floor_vmhwm_bytes",
            "expected_peak_bytes",
            "vmhwm_ratio_to_expected", "gc_freed_at_end_bytes", "detail");

    /** Copies the rows. */
    public ProcessMemoryReport {
        rows = List.copyOf(rows);
    }

    /**
     * One offload at one N: its N rank children.
     *
     * @param offload   offload_param and offload_optimizer device
     * @param processes N
     * @param psi       Ψ
     * @param fixed     the fixed part per rank ({@link Stage3FixedPart}), bytes
     * @param children  what each child reported, index r for rank r
     * @param floor     the same job with a network of {@link ProcessMemoryBench#FLOOR_PARAMS} parameters, or null
     */
    public record Row(Offload offload, int processes, long psi, long fixed, List<ProbeResult> children, Row floor) {
        /** Copies the children. */
        public Row {
            children = List.copyOf(children);
        }

        /** @return e.g. {@code zero-3 cpu x2} */
        public String name() {
            return "zero-3 " + offload.device() + " x" + processes;
        }

        /** @return whether every child ran */
        public boolean ok() {
            return children.stream().allMatch(ProbeResult::ok);
        }

        /** @return the first failing child's error, or "" */
        public String error() {
            return children.stream().filter(c -> !c.ok()).map(ProbeResult::error).findFirst().orElse("");
        }

        /** @return the largest child's VmHWM */
        public long peak() {
            return largest("vmhwm");
        }

        /** @return the most any child's trainer held: resident bytes plus Java heap in use, open minus closed */
        public long trainerHeld() {
            return children.stream().mapToLong(c -> c.bytes("held.native") + c.bytes("held.heap")).max().orElse(-1);
        }

        /** @return the largest value of {@code key} (bytes) over the children */
        public long largest(String key) {
            return children.stream().mapToLong(c -> c.bytes(key)).max().orElse(-1);
        }

        /** @return the per-rank ZeRO-3 formula (fp32 Adam) less what nvme keeps in files */
        public long formulaInMemory() {
            return new MemoryRow(3, offload, psi, processes, null).formulaInMemory();
        }

        /** @return the largest child's ledger peak in memory (device + host tiers) */
        public long ledgerInMemory() {
            return children.stream().mapToLong(ProbeResult::ledgerPeakInMemory).max().orElse(-1);
        }

        /**
         * @param baselinePeak the baseline child's VmHWM
         * @return the largest child's VmHWM minus the baseline without its initialised network (4Ψ)
         */
        public long held(long baselinePeak) {
            return peak() - (baselinePeak - 4 * psi);
        }

        /** @return the floor job's largest VmHWM, or -1 without a floor that ran */
        public long floorPeak() {
            return floor == null || !floor.ok() ? -1 : floor.peak();
        }

        /**
         * @return the expected peak of a rank process: the floor job's largest VmHWM less its own fixed part and
         *         formula, plus this network's fixed part and formula; -1 without a floor that ran
         */
        public long expected() {
            return floorPeak() < 0 ? -1
                    : floor.peak() - floor.fixed() - floor.formulaInMemory() + fixed + formulaInMemory();
        }

        /**
         * @return the largest child's VmHWM less its resident bytes after full collections at the end (0 when they
         *         freed nothing), or -1 when it did not report them
         */
        public long gcFreed() {
            ProbeResult top = children.stream().max(java.util.Comparator.comparingLong(c -> c.bytes("vmhwm")))
                    .orElse(null);
            return top == null || top.bytes("live.open") < 0 ? -1
                    : Math.max(0, top.bytes("vmhwm") - top.bytes("live.open"));
        }
    }

    /** @return whether the baseline and every child ran */
    public boolean allOk() {
        return baseline.ok() && rows.stream().allMatch(Row::ok);
    }

    private long basePeak() {
        return baseline.bytes("vmhwm");
    }

    /** The N = 1 row of {@code r}'s offload, or null. */
    private Row single(Row r) {
        return rows.stream().filter(o -> o.offload() == r.offload() && o.processes() == 1 && o.ok()).findFirst()
                .orElse(null);
    }

    private String shrink(Row r) {
        Row one = single(r);
        return one == null ? "" : MemoryRow.ratio(r.held(basePeak()), one.held(basePeak()));
    }

    /** @return the CSV text, header first */
    public String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (Row r : rows) {
            List<String> perChild = r.children().stream().map(c -> String.valueOf(c.bytes("vmhwm"))).toList();
            sb.append(String.join(",", List.of(r.name(), String.valueOf(r.processes()), r.ok() ? "ok" : "failed",
                    String.valueOf(r.psi()), String.valueOf(r.formulaInMemory()), String.valueOf(r.ledgerInMemory()),
                    "\"" + String.join(" ", perChild) + "\"", String.valueOf(r.peak()),
                    String.valueOf(r.largest("javacpp_total_peak")), String.valueOf(r.largest("heap_peak")),
                    String.valueOf(basePeak()),
                    String.valueOf(r.held(basePeak())), MemoryRow.ratio(r.held(basePeak()), r.formulaInMemory()),
                    shrink(r), String.format(Locale.ROOT, "%.3f", 1.0 / r.processes()), String.valueOf(r.fixed()),
                    String.valueOf(r.floor() == null ? -1 : r.floor().psi()), String.valueOf(r.floorPeak()),
                    String.valueOf(r.expected()), MemoryRow.ratio(r.peak(), r.expected()),
                    String.valueOf(r.gcFreed()), "\"" + r.error().replace("\"", "\"\"") + "\""))).append('\n');
        }
        return sb.toString();
    }

    /** @return the table as printed */
    public String table() {
        StringBuilder sb = new StringBuilder("machine: ").append(machine).append('\n');
        sb.append(ProbeSetup.knobsLine()).append('\n');
        long psi = rows.isEmpty() ? 0 : rows.get(0).psi();
        sb.append(String.format(Locale.ROOT, "ZeRO-3, ranks as processes (one rank per JVM, UCX on 127.0.0.1),"
                + " network built partitioned; Ψ %,d, fp32, DeepSpeed Adam; MiB; baseline VmHWM %s (4Ψ = %s of"
                + " it is the initialised network)%n", psi, mib(basePeak()), mib(4 * psi)));
        long floorPsi = rows.stream().filter(r -> r.floor() != null).mapToLong(r -> r.floor().psi()).findFirst()
                .orElse(0);
        sb.append(String.format(Locale.ROOT, "floor: the same job with Ψ %,d%n", floorPsi));
        sb.append(String.format(Locale.ROOT, "%-16s %9s %8s %7s %9s %22s %6s %9s %8s %7s %7s %8s %7s %5s%n", "setup",
                "formula/r", "fixed/r", "floor", "expected", "VmHWM per child", "x exp", "ledger/r", "trainer",
                "x form", "GC-freed", "held", "x N=1", "1/N"));
        for (Row r : rows) {
            if (!r.ok()) {
                sb.append(String.format(Locale.ROOT, "%-16s failed: %s%n", r.name(), r.error()));
                continue;
            }
            String each = String.join("/", r.children().stream().map(c -> mib(c.bytes("vmhwm"))).toList());
            sb.append(String.format(Locale.ROOT, "%-16s %9s %8s %7s %9s %22s %6s %9s %8s %7s %7s %8s %7s %5.3f%n",
                    r.name(), mib(r.formulaInMemory()), mib(r.fixed()), mib(r.floorPeak()), mib(r.expected()), each,
                    MemoryRow.ratio(r.peak(), r.expected()), mib(r.ledgerInMemory()), mib(r.trainerHeld()),
                    MemoryRow.ratio(r.trainerHeld(), r.formulaInMemory()), mib(r.gcFreed()), mib(r.held(basePeak())),
                    shrink(r), 1.0 / r.processes()));
        }
        sb.append("formula/r: (4 + 4 + 8)Ψ/N in memory (nvme: less what its files hold); fixed/r: what the stage-3"
                + " knobs let a rank hold whatever N (gradient scratch 4 B x largest layer, the pool of gathered"
                + " parameters or a shard, persistent parameters);\nfloor: the floor job's largest child VmHWM (what a"
                + " rank process of the job holds whatever the model); expected = floor - the floor network's fixed/r"
                + " and formula/r + fixed/r + formula/r;\nx exp = largest child VmHWM / expected; ledger/r: the largest"
                + " rank's ledger peak in device + host memory;\ntrainer: the most a child's trainer held, measured"
                + " (resident bytes plus Java heap in use, with the trainer open after training minus right after it"
                + " closed, after full collections); x form = trainer / formula/r;\nGC-freed: the largest child's VmHWM"
                + " less its resident bytes after full collections at the end (trainer open): unreachable native memory"
                + " at the peak;\nheld = largest child VmHWM - (baseline VmHWM - 4Ψ); x N=1 = held / held of the same"
                + " offload at N = 1\n");
        return sb.toString();
    }

    /**
     * Writes {@code bench-memory-processes.csv}, {@code .txt} and {@code .png} into {@code dir}.
     *
     * @param dir the output folder (created)
     * @return the files written
     * @throws IOException when a file cannot be written
     */
    public List<Path> write(Path dir) throws IOException {
        return ReportFiles.write(dir, "bench-memory-processes", csv(), table(), chart());
    }

    private CategoryChart chart() {
        List<String> names = new ArrayList<>();
        List<Double> held = new ArrayList<>();
        List<Double> formula = new ArrayList<>();
        for (Row r : rows) {
            if (r.ok()) {
                names.add(r.name());
                held.add(r.held(basePeak()) / 1048576.0);
                formula.add(r.formulaInMemory() / 1048576.0);
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(550)
                .title("ds4j bench memory --processes: per rank process, ZeRO-3")
                .xAxisTitle("setup x processes").yAxisTitle("MiB").build();
        if (!names.isEmpty()) {
            chart.addSeries("held: VmHWM - (baseline - 4Ψ)", names, held);
            chart.addSeries("formula in memory per rank", names, formula);
        }
        return chart;
    }
}
