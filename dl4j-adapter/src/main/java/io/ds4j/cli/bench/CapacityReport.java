package io.ds4j.cli.bench;

import io.ds4j.zero.ledger.MemoryCategory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * {@code bench capacity}'s results: every attempt (setup, size, what the child held or why it failed), the largest Ψ
 * each setup trained and its ratio to plain {@code fit()}'s; {@code bench-capacity.csv}, {@code .txt} and a bar chart
 * {@code bench-capacity.png}.
 *
 * @param machine  the machine and the child JVM's memory options
 * @param setups   the setups, in run order
 * @param attempts every child, in run order
 */
public record CapacityReport(String machine, List<String> setups, List<CapacityBench.Attempt> attempts) {
    /** The CSV header. */
    public static final String CSV_HEADER = "setup,params,psi,status,out_of_memory,seconds,vmhwm_bytes,"
            + "javacpp_physical_peak_bytes,javacpp_total_peak_bytes,heap_peak_bytes,ledger_peak_per_rank_bytes,"
            + "ledger_peak_in_memory_per_rank_bytes,ledger_largest_category_in_memory,"
            + "ledger_largest_category_in_memory_bytes," + categoryColumns() + "detail";

    private static String categoryColumns() {
        StringBuilder sb = new StringBuilder();
        for (MemoryCategory c : MemoryCategory.values()) {
            sb.append("ledger_in_memory_").append(c.name().toLowerCase(Locale.ROOT)).append("_bytes,");
        }
        return sb.toString();
    }

    /** Copies the lists. */
    public CapacityReport {
        setups = List.copyOf(setups);
        attempts = List.copyOf(attempts);
    }

    /**
     * @param setup a setup's name
     * @return its largest attempt that trained, or null when none did
     */
    public CapacityBench.Attempt largest(String setup) {
        CapacityBench.Attempt best = null;
        for (CapacityBench.Attempt a : attempts) {
            if (a.setup().equals(setup) && a.result().ok() && (best == null || a.psi() > best.psi())) {
                best = a;
            }
        }
        return best;
    }

    /**
     * @param setup a setup's name
     * @return its largest Ψ over plain fit()'s; NaN when either trained nothing
     */
    public double ratioToFit(String setup) {
        CapacityBench.Attempt s = largest(setup);
        CapacityBench.Attempt f = largest("fit");
        return s == null || f == null ? Double.NaN : s.psi() / (double) f.psi();
    }

    /** @return the CSV text, header first */
    public String csv() {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (CapacityBench.Attempt a : attempts) {
            ProbeResult r = a.result();
            String dominant = r.dominantCategory();
            long domBytes = dominant.isEmpty() ? -1 : r.ledgerPeakInMemory(MemoryCategory.valueOf(dominant));
            sb.append(String.join(",", a.setup(), String.valueOf(a.params()), String.valueOf(a.psi()),
                    r.ok() ? "ok" : "failed", String.valueOf(!r.ok() && r.outOfMemory()),
                    String.format(Locale.ROOT, "%.2f", r.seconds()), String.valueOf(r.bytes("vmhwm")),
                    String.valueOf(r.bytes("physical_peak")), String.valueOf(r.bytes("javacpp_total_peak")),
                    String.valueOf(r.bytes("heap_peak")), String.valueOf(r.bytes("ledger.peak")),
                    String.valueOf(r.ledgerPeakInMemory()), dominant,
                    String.valueOf(domBytes))).append(',');
            for (MemoryCategory c : MemoryCategory.values()) {
                sb.append(r.ledgerPeakInMemory(c)).append(',');
            }
            sb.append('"').append(r.error().replace("\"", "\"\"")).append("\"\n");
        }
        return sb.toString();
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    /** @return the table as printed */
    public String table() {
        StringBuilder sb = new StringBuilder("machine: ").append(machine).append('\n');
        sb.append(ProbeSetup.knobsLine()).append('\n');
        sb.append(String.format(Locale.ROOT, "%-11s %13s %-7s %7s %9s %9s %9s  %s%n", "setup", "Ψ", "result",
                "s", "VmHWM", "heap", "ledger/r", "largest ledger category in memory / failure (MiB)"));
        for (CapacityBench.Attempt a : attempts) {
            ProbeResult r = a.result();
            String dominant = r.dominantCategory();
            String why = !r.ok() ? r.error() : dominant.isEmpty() ? "" : dominant.toLowerCase(Locale.ROOT) + " "
                    + mib(r.ledgerPeakInMemory(MemoryCategory.valueOf(dominant)));
            sb.append(String.format(Locale.ROOT, "%-11s %,13d %-7s %7.1f %9s %9s %9s  %s%n", a.setup(), a.psi(),
                    r.ok() ? "trained" : r.outOfMemory() ? "OOM" : "failed", r.seconds(), mib(r.bytes("vmhwm")),
                    mib(r.bytes("heap_peak")), mib(r.ledgerPeakInMemory()), why));
        }
        sb.append("VmHWM: the child's peak RSS; heap: peak Java heap in use (garbage included); ledger/r: the largest"
                + " rank's ledger peak in memory (device + host tiers; nvme files excluded)\n");
        sb.append("largest Ψ that trained ").append(CapacityBench.STEPS).append(" steps, and its ledger peaks in memory"
                + " by category (MiB):\n");
        for (String s : setups) {
            CapacityBench.Attempt a = largest(s);
            sb.append(String.format(Locale.ROOT, "  %-11s %s%n", s, a == null ? "none"
                    : String.format(Locale.ROOT, "%,d (%.2fx fit())", a.psi(), ratioToFit(s))));
            if (a != null && a.result().ledgerPeakInMemory() >= 0) {
                sb.append("             ");
                for (MemoryCategory c : MemoryCategory.values()) {
                    sb.append(' ').append(c.name().toLowerCase(Locale.ROOT)).append(' ')
                            .append(mib(a.result().ledgerPeakInMemory(c)));
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * Writes {@code bench-capacity.csv}, {@code .txt} and {@code .png} into {@code dir}.
     *
     * @param dir the output folder (created)
     * @return the files written
     * @throws IOException when a file cannot be written
     */
    public List<Path> write(Path dir) throws IOException {
        return ReportFiles.write(dir, "bench-capacity", csv(), table(), chart());
    }

    private CategoryChart chart() {
        List<String> names = new ArrayList<>();
        List<Double> millions = new ArrayList<>();
        for (String s : setups) {
            CapacityBench.Attempt a = largest(s);
            names.add(s);
            millions.add(a == null ? 0.0 : a.psi() / 1e6);
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500)
                .title("ds4j bench capacity: largest model trained " + CapacityBench.STEPS + " steps")
                .xAxisTitle("setup").yAxisTitle("parameters (millions)").build();
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("largest Ψ", names, millions);
        return chart;
    }
}
