package io.ds4j.cli.bench;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * {@code bench memory}'s results: a text table, {@code bench-memory.csv} and {@code bench-memory.png} (per setup, the
 * real peak above the baseline next to N x the in-memory formula and N x the ledger's peak in memory).
 *
 * @param machine  one line describing the machine and the child JVM options
 * @param baseline the baseline row
 * @param rows     the setups' rows, in run order
 */
public record MemoryReport(String machine, MemoryRow baseline, List<MemoryRow> rows) {
    /** One line of the printed table. */
    private static final String LINE = "%-12s %9s %9s %9s %6s %22s %9s %9s %9s %10s %6s %6s %8s %8s %9s %6s %8s"
            + " %9s %6s%n";
    /** The CSV columns. */
    public static final List<String> COLUMNS = columns();

    /** Copies the rows. */
    public MemoryReport {
        rows = List.copyOf(rows);
    }

    private static List<String> columns() {
        List<String> c = new ArrayList<>(List.of("setup", "status", "params", "world_size", "formula_per_rank_bytes",
                "formula_in_memory_per_rank_bytes", "ledger_peak_per_rank_bytes", "ledger_ratio_to_formula"));
        for (MemoryTier t : MemoryTier.values()) {
            c.add("ledger_peak_" + t.name().toLowerCase(Locale.ROOT) + "_bytes");
        }
        for (MemoryCategory k : MemoryCategory.values()) {
            c.add("ledger_peak_" + k.name().toLowerCase(Locale.ROOT) + "_bytes");
        }
        c.addAll(List.of("vmhwm_bytes", "javacpp_physical_peak_bytes", "javacpp_total_peak_bytes",
                "heap_peak_bytes", "baseline_vmhwm_bytes", "expected_bytes", "real_ratio_to_expected",
                "above_baseline_ratio_to_formula", "offload_terms_per_rank_bytes", "shared_with_baseline_bytes",
                "expected_full_bytes", "real_ratio_to_expected_full", "seconds", "detail",
                "stage3_fixed_per_rank_bytes", "expected_stage3_bytes", "real_ratio_to_expected_stage3"));
        return List.copyOf(c);
    }

    private long basePeak() {
        return baseline.realPeak();
    }

    /** @return the CSV text, header first, the baseline row second */
    public String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        csvRow(sb, baseline);
        rows.forEach(r -> csvRow(sb, r));
        return sb.toString();
    }

    private void csvRow(StringBuilder sb, MemoryRow r) {
        ProbeResult p = r.result();
        List<String> v = new ArrayList<>(List.of(r.name(), p.ok() ? "ok" : "failed", String.valueOf(r.psi()),
                String.valueOf(r.worldSize()), String.valueOf(r.formula().total()),
                String.valueOf(r.formulaInMemory()), String.valueOf(r.ledgerPeak()),
                MemoryRow.ratio(r.ledgerPeak(), r.formula().total())));
        for (MemoryTier t : MemoryTier.values()) {
            v.add(String.valueOf(p.bytes("ledger.tier." + t)));
        }
        for (MemoryCategory k : MemoryCategory.values()) {
            v.add(String.valueOf(p.ledgerPeak(k)));
        }
        long expected = r.expectedPeak(basePeak());
        long above = r.realPeak() - basePeak();
        v.addAll(List.of(String.valueOf(r.realPeak()), String.valueOf(p.bytes("physical_peak")),
                String.valueOf(p.bytes("javacpp_total_peak")), String.valueOf(p.bytes("heap_peak")),
                String.valueOf(basePeak()), String.valueOf(expected), MemoryRow.ratio(r.realPeak(), expected),
                r.baseline() ? "" : MemoryRow.ratio(above, (long) r.copies() * r.formulaInMemory()),
                String.valueOf(r.offloadTerms()), String.valueOf(r.sharedWithBaseline()),
                String.valueOf(r.expectedFull(basePeak())),
                r.baseline() ? "" : MemoryRow.ratio(r.realPeak(), r.expectedFull(basePeak())),
                String.format(Locale.ROOT, "%.2f", p.seconds()), quote(p.error())));
        boolean ds3 = r.stage() == 3;
        v.addAll(List.of(ds3 ? String.valueOf(r.stage3Fixed()) : "", ds3 ? String.valueOf(r.expectedStage3(basePeak()))
                : "", ds3 ? MemoryRow.ratio(r.realPeak(), r.expectedStage3(basePeak())) : ""));
        sb.append(String.join(",", v)).append('\n');
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    /** @return the table as printed */
    public String table() {
        StringBuilder sb = new StringBuilder("machine: ").append(machine).append('\n');
        sb.append(ProbeSetup.knobsLine()).append('\n');
        sb.append(String.format(Locale.ROOT, "Ψ %,d parameters, N %d ranks in one process, fp32, DeepSpeed Adam;"
                + " MiB%n", baseline.psi(), baseline.worldSize()));
        sb.append(String.format(Locale.ROOT, LINE, "setup", "formula/r", "in-mem/r", "ledger/r", "x form",
                "ledger dev/host/disk", "VmHWM", "JCPP tot", "heap", "expected", "x exp", "x form", "+offl/r",
                "-shared", "exp full", "x full", "fixed/r", "exp ds3", "x ds3"));
        sb.append(String.format(Locale.ROOT, LINE, "baseline", "", "", "", "", "", mib(basePeak()),
                mib(baseline.result().bytes("javacpp_total_peak")), mib(baseline.result().bytes("heap_peak")), "",
                "", "", "", "", "", "", "", "", ""));
        for (MemoryRow r : rows) {
            sb.append(line(r));
        }
        sb.append("formula/r: ZeroFormulas per rank; in-mem/r: its part not in nvme files; ledger/r: the largest"
                + " rank's peak (sum of tier peaks);\nVmHWM: the child's peak RSS (kernel); JCPP tot: peak of"
                + " JavaCPP totalBytes (ND4J native arrays); heap: peak Java heap in use;\nexpected = baseline VmHWM"
                + " + N x in-mem/r (dl4j fit(): + (4 + 8)Ψ, gradient and Adam state); x exp = VmHWM / expected;\n"
                + "x form = (VmHWM - baseline) / (N x in-mem/r);\n+offl/r: what DeepSpeed's offload holds per rank"
                + " beyond the formula (cpu: the fp32 master it clones onto the host, 4Ψ/N; nvme: the swappers'"
                + " pinned\nbuffers, buffer_count x the largest sub-group, and at stage 3 offload_param's buffer_count"
                + " x buffer_size); -shared: at stages 0-2 rank 0 trains on the user's\nnetwork, whose 4Ψ of"
                + " parameters the baseline holds, and at stage 3 without offload or with cpu the ranks' shards are that"
                + " network's parameters; exp full = expected + N x +offl/r - shared; x full = VmHWM /"
                + " exp full;\nfixed/r (stage 3): the largest layer's gradient scratch and gathered parameters plus"
                + " the persistent"
                + " ones (Stage3FixedPart), DeepSpeed's largest_layer_memory\nin estimate_zero3_model_states_mem_needs;"
                + " exp ds3 = exp full + N x fixed/r; x ds3 = VmHWM / exp ds3\n");
        sb.append("ledger peaks by category (largest rank, MiB, sum over tiers):\n");
        for (MemoryRow r : rows) {
            if (r.ledgerPeak() < 0) {
                continue; // fit() and failed children have no ledger
            }
            sb.append(String.format(Locale.ROOT, "  %-12s", r.name()));
            for (MemoryCategory k : MemoryCategory.values()) {
                sb.append(' ').append(k.name().toLowerCase(Locale.ROOT)).append(' ')
                        .append(mib(r.result().ledgerPeak(k)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private String line(MemoryRow r) {
        ProbeResult p = r.result();
        if (!p.ok()) {
            return String.format(Locale.ROOT, "%-12s failed: %s%n", r.name(), p.error());
        }
        long expected = r.expectedPeak(basePeak());
        String tiers = mib(p.bytes("ledger.tier.DEVICE")) + "/" + mib(p.bytes("ledger.tier.HOST")) + "/"
                + mib(p.bytes("ledger.tier.DISK"));
        long full = r.expectedFull(basePeak());
        return String.format(Locale.ROOT, LINE, r.name(),
                mib(r.formula().total()), mib(r.formulaInMemory()), mib(r.ledgerPeak()),
                MemoryRow.ratio(r.ledgerPeak(), r.formula().total()), tiers, mib(r.realPeak()),
                mib(p.bytes("javacpp_total_peak")), mib(p.bytes("heap_peak")), mib(expected),
                MemoryRow.ratio(r.realPeak(), expected),
                MemoryRow.ratio(r.realPeak() - basePeak(), (long) r.copies() * r.formulaInMemory()),
                mib(r.offloadTerms()), mib(r.sharedWithBaseline()), mib(full), MemoryRow.ratio(r.realPeak(), full),
                r.stage() == 3 ? mib(r.stage3Fixed()) : "", r.stage() == 3 ? mib(r.expectedStage3(basePeak())) : "",
                r.stage() == 3 ? MemoryRow.ratio(r.realPeak(), r.expectedStage3(basePeak())) : "");
    }

    /**
     * Writes {@code bench-memory.csv}, {@code .txt} and {@code .png} into {@code dir}.
     *
     * @param dir the output folder (created)
     * @return the files written
     * @throws IOException when a file cannot be written
     */
    public List<Path> write(Path dir) throws IOException {
        return write(dir, "bench-memory");
    }

    /**
     * Writes {@code <stem>.csv}, {@code .txt} and {@code .png} into {@code dir}.
     *
     * @param dir  the output folder (created)
     * @param stem the files' common name
     * @return the files written
     * @throws IOException when a file cannot be written
     */
    public List<Path> write(Path dir, String stem) throws IOException {
        return ReportFiles.write(dir, stem, csv(), table(), chart());
    }

    private CategoryChart chart() {
        List<String> names = new ArrayList<>();
        List<Double> real = new ArrayList<>();
        List<Double> formula = new ArrayList<>();
        List<Double> ledger = new ArrayList<>();
        for (MemoryRow r : rows) {
            if (r.result().ok()) {
                names.add(r.name());
                real.add((r.realPeak() - basePeak()) / 1048576.0);
                formula.add(r.copies() * r.formulaInMemory() / 1048576.0);
                ledger.add(r.copies() * Math.max(0, r.result().ledgerPeakInMemory()) / 1048576.0);
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(600)
                .title(String.format(Locale.ROOT, "ds4j bench memory: Ψ %,d, N %d (baseline VmHWM %s MiB"
                        + " subtracted)", baseline.psi(), baseline.worldSize(), mib(basePeak())))
                .xAxisTitle("setup").yAxisTitle("MiB").build();
        chart.getStyler().setXAxisLabelRotation(30);
        if (!names.isEmpty()) {
            chart.addSeries("VmHWM - baseline", names, real);
            chart.addSeries("N x formula in memory", names, formula);
            chart.addSeries("N x ledger peak in memory (device + host)", names, ledger);
        }
        return chart;
    }
}
