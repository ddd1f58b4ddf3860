package io.ds4j.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * {@code bench memory --params A,B,...}: how each setup's real peak grows with Ψ, against the bytes per parameter the
 * formula gives. A child's peak is a fixed cost (the JVM running more code: the JIT's arenas, ds4j's classes, native
 * kernels' pages) plus what grows with the model; the fixed cost weighs on {@code VmHWM / expected} at small Ψ but
 * not on the slope, which is what ZeRO controls. Per setup, over the sizes (least squares; with two sizes the
 * difference quotient):
 * <ul>
 *   <li>{@code ΔVmHWM/ΔΨ}, bytes per parameter of the child's peak, and {@code Δbase/ΔΨ} of the baseline child's;</li>
 *   <li>{@code Δabove/ΔΨ}: of {@code VmHWM - baseline VmHWM}, the part the setup adds;</li>
 *   <li>{@code N x form/Ψ}: the same slope of {@code N x} the in-memory formula ({@link MemoryRow#formulaInMemory()}),
 *       and of the full expectation's part above the baseline ({@link MemoryRow#expectedFull}: with DeepSpeed's
 *       offload terms, less rank 0's parameters, which the baseline holds), and the ratios;</li>
 *   <li>at each size, {@code VmHWM -} the full expectation: what is left, in MiB.</li>
 * </ul>
 * A setup that failed at any size has no slope (its cells are empty).
 *
 * @param reports one report per size, ascending Ψ, the same setups in each
 */
public record MemorySlope(List<MemoryReport> reports) {
    /** The CSV columns. */
    public static final List<String> COLUMNS = List.of("setup", "world_size", "psi_list", "vmhwm_slope_bytes_per_param",
            "baseline_slope_bytes_per_param", "above_baseline_slope_bytes_per_param", "formula_slope_bytes_per_param",
            "above_baseline_slope_ratio_to_formula", "expected_full_slope_bytes_per_param",
            "above_baseline_slope_ratio_to_expected_full", "excess_over_expected_full_bytes_list");

    /** Needs two sizes or more, ascending, with the same setups. */
    public MemorySlope {
        reports = List.copyOf(reports);
        if (reports.size() < 2) {
            throw new IllegalArgumentException("a slope needs two sizes or more, got " + reports.size());
        }
        for (int i = 1; i < reports.size(); i++) {
            if (reports.get(i).baseline().psi() <= reports.get(i - 1).baseline().psi()
                    || !names(reports.get(i)).equals(names(reports.get(0)))) {
                throw new IllegalArgumentException("reports must have ascending Ψ and the same setups");
            }
        }
    }

    private static List<String> names(MemoryReport r) {
        return r.rows().stream().map(MemoryRow::name).toList();
    }

    /** One setup's numbers; slopes in bytes per parameter, NaN where a child failed. */
    record Line(String name, double vmhwm, double baseline, double above, double formula, double full,
                List<Long> excess) {
    }

    /** @return one line per setup, in run order */
    List<Line> lines() {
        int sizes = reports.size();
        double[] psi = new double[sizes];
        double[] base = new double[sizes];
        for (int i = 0; i < sizes; i++) {
            psi[i] = reports.get(i).baseline().psi();
            base[i] = reports.get(i).baseline().realPeak();
        }
        double baseSlope = reports.stream().allMatch(r -> r.baseline().result().ok()) ? slope(psi, base) : Double.NaN;
        List<Line> out = new ArrayList<>();
        for (int k = 0; k < reports.get(0).rows().size(); k++) {
            double[] real = new double[sizes];
            double[] form = new double[sizes];
            double[] withOffload = new double[sizes];
            List<Long> excess = new ArrayList<>();
            boolean ok = !Double.isNaN(baseSlope);
            for (int i = 0; i < sizes; i++) {
                MemoryRow r = reports.get(i).rows().get(k);
                ok &= r.result().ok();
                real[i] = r.realPeak();
                form[i] = (double) r.copies() * r.formulaInMemory();
                withOffload[i] = (double) r.copies() * r.formulaWithOffload() - r.sharedWithBaseline();
                excess.add(r.realPeak() - r.expectedFull((long) base[i]));
            }
            double vm = ok ? slope(psi, real) : Double.NaN;
            out.add(new Line(reports.get(0).rows().get(k).name(), vm, baseSlope, vm - baseSlope, slope(psi, form),
                    slope(psi, withOffload), ok ? excess : List.of()));
        }
        return out;
    }

    /** The least-squares slope of y over x. */
    static double slope(double[] x, double[] y) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / x.length;
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - mx) * (y[i] - my);
            den += (x[i] - mx) * (x[i] - mx);
        }
        return num / den;
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || b <= 0 ? "" : String.format(Locale.ROOT, "%.3f", a / b);
    }

    private List<String> psis() {
        return reports.stream().map(r -> String.valueOf(r.baseline().psi())).toList();
    }

    /** @return the CSV text, header first (lists are {@code ;}-separated, one value per size) */
    public String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        String n = String.valueOf(reports.get(0).baseline().worldSize());
        for (Line l : lines()) {
            sb.append(String.join(",", l.name(), n, String.join(";", psis()), num(l.vmhwm()), num(l.baseline()),
                    num(l.above()), num(l.formula()), ratio(l.above(), l.formula()), num(l.full()),
                    ratio(l.above(), l.full()), String.join(";", l.excess().stream().map(String::valueOf)
                            .toList()))).append('\n');
        }
        return sb.toString();
    }

    /** @return the table as printed */
    public String table() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "slopes over Ψ = %s (N %d), bytes per"
                + " parameter; excess in MiB at each size%n", String.join(", ", psis()),
                reports.get(0).baseline().worldSize()));
        String f = "%-12s %10s %9s %10s %10s %6s %12s %6s  %s%n";
        sb.append(String.format(Locale.ROOT, f, "setup", "ΔVmHWM/ΔΨ", "Δbase/ΔΨ", "Δabove/ΔΨ", "N×form/Ψ", "x",
                "full/Ψ", "x", "excess (MiB)"));
        for (Line l : lines()) {
            List<String> ex = l.excess().stream().map(b -> String.format(Locale.ROOT, "%.1f", b / 1048576.0)).toList();
            sb.append(String.format(Locale.ROOT, f, l.name(), num(l.vmhwm()), num(l.baseline()), num(l.above()),
                    num(l.formula()), ratio(l.above(), l.formula()), num(l.full()),
                    ratio(l.above(), l.full()), l.excess().isEmpty() ? "failed" : String.join(" / ", ex)));
        }
        sb.append("Δabove/ΔΨ: slope of VmHWM - baseline VmHWM; N×form/Ψ: slope of N x the in-memory formula (fit():"
                + " (4 + 8)Ψ); full/Ψ: of exp full - baseline\n(with DeepSpeed's offload terms, less rank 0's"
                + " parameters, which the baseline holds); x: Δabove/ΔΨ over each; excess: VmHWM - exp full at"
                + " each\nsize, the fixed cost\n");
        return sb.toString();
    }

    /**
     * Writes {@code bench-memory-slope.csv}, {@code .txt} and {@code .png} into {@code dir}.
     *
     * @param dir the output folder (created)
     * @return the files written
     * @throws IOException when a file cannot be written
     */
    public List<Path> write(Path dir) throws IOException {
        return ReportFiles.write(dir, "bench-memory-slope", csv(), table(), chart());
    }

    private CategoryChart chart() {
        List<String> names = new ArrayList<>();
        List<Double> measured = new ArrayList<>();
        List<Double> formula = new ArrayList<>();
        List<Double> withOffload = new ArrayList<>();
        for (Line l : lines()) {
            if (!Double.isNaN(l.above())) {
                names.add(l.name());
                measured.add(l.above());
                formula.add(l.formula());
                withOffload.add(l.full());
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(600)
                .title("ds4j bench memory: bytes per parameter over Ψ = " + String.join(", ", psis()))
                .xAxisTitle("setup").yAxisTitle("bytes per parameter").build();
        chart.getStyler().setXAxisLabelRotation(30);
        if (!names.isEmpty()) {
            chart.addSeries("Δ(VmHWM - baseline)/ΔΨ", names, measured);
            chart.addSeries("N x formula in memory / Ψ", names, formula);
            chart.addSeries("(expected full - baseline) / Ψ", names, withOffload);
        }
        return chart;
    }
}
