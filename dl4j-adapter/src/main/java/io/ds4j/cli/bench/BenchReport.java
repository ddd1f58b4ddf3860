package io.ds4j.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The bench's results as a text table, a CSV ({@code bench-train.csv}) and a bar chart of samples/s
 * ({@code bench-train.png}). Ratios are to the faster plain {@code fit()} row and to the faster ParallelWrapper row
 * (blank when those did not run); parameter differences are to the first {@code fit()} row (ND4J's default threads).
 *
 * @param machine one line describing the machine
 * @param outcomes the rows, in run order
 */
public record BenchReport(String machine, List<Outcome> outcomes) {
    /** The CSV header. */
    public static final String CSV_HEADER = "contender,status,samples_per_s,ratio_to_fit,ratio_to_parallelwrapper,"
            + "peak_rank_ledger_bytes,final_loss,max_abs_param_diff_to_fit,window_samples_per_s,detail";

    /** Copies the rows. */
    public BenchReport {
        outcomes = List.copyOf(outcomes);
    }

    private Optional<Outcome.Measured> find(String prefix) {
        return outcomes.stream().filter(o -> o instanceof Outcome.Measured && o.name().startsWith(prefix))
                .map(o -> (Outcome.Measured) o).findFirst();
    }

    private Optional<Outcome.Measured> best(String prefix) {
        return outcomes.stream().filter(o -> o instanceof Outcome.Measured && o.name().startsWith(prefix))
                .map(o -> (Outcome.Measured) o)
                .max(java.util.Comparator.comparingDouble(Outcome.Measured::samplesPerSecond));
    }

    private static String ratio(Outcome.Measured m, Optional<Outcome.Measured> base) {
        return base.map(b -> String.format(Locale.ROOT, "%.2f", m.samplesPerSecond() / b.samplesPerSecond()))
                .orElse("");
    }

    private String diff(Outcome.Measured m) {
        return find("dl4j fit()").map(f -> String.format(Locale.ROOT, "%.2e", m.maxAbsDiff(f.params()))).orElse("");
    }

    /** @return the table as printed */
    public String table() {
        Optional<Outcome.Measured> fit = best("dl4j fit()");
        Optional<Outcome.Measured> pw = best("ParallelWrapper");
        StringBuilder sb = new StringBuilder("machine: ").append(machine).append('\n');
        sb.append(String.format(Locale.ROOT, "%-38s %10s %7s %7s %12s %10s %12s%n", "contender", "samples/s",
                "x fit*", "x PW*", "peak ledger", "final loss", "max|w-w_fit|"));
        List<String> breakdowns = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.Measured m) {
                sb.append(String.format(Locale.ROOT, "%-38s %10.0f %7s %7s %12s %10.4f %12s%n", m.name(),
                        m.samplesPerSecond(), ratio(m, fit), ratio(m, pw),
                        m.peakLedgerBytes() < 0 ? "-" : String.format(Locale.ROOT, "%.2f MiB",
                                m.peakLedgerBytes() / 1048576.0),
                        m.finalLoss(), diff(m)));
                if (!m.breakdown().isEmpty()) {
                    breakdowns.add(String.format(Locale.ROOT, "  %-36s %s", m.name(), m.breakdown()));
                }
            } else if (o instanceof Outcome.Unsupported u) {
                sb.append(String.format(Locale.ROOT, "%-38s unsupported: %s%n", u.name(), u.reason()));
            }
        }
        sb.append("x fit*, x PW*: ratio to the faster fit() row and to the faster ParallelWrapper row;"
                + " max|w-w_fit|: to the first fit() row; the contenders share one process, so their memory is"
                + " measured by 'ds4j bench memory' (one process per setup)\n");
        sb.append("wall-clock breakdown per step on the listener thread (rank 0), last round's window:\n");
        breakdowns.forEach(b -> sb.append(b).append('\n'));
        return sb.toString();
    }

    /** @return the CSV text, header first */
    public String csv() {
        Optional<Outcome.Measured> fit = best("dl4j fit()");
        Optional<Outcome.Measured> pw = best("ParallelWrapper");
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.Measured m) {
                List<String> rates = new ArrayList<>();
                for (double r : m.windowRates()) {
                    rates.add(String.format(Locale.ROOT, "%.1f", r));
                }
                sb.append(String.format(Locale.ROOT, "%s,ok,%.1f,%s,%s,%d,%.6f,%s,%s,%s%n", m.name(),
                        m.samplesPerSecond(), ratio(m, fit), ratio(m, pw), m.peakLedgerBytes(),
                        m.finalLoss(), diff(m), String.join(" ", rates), quote(m.breakdown())));
            } else if (o instanceof Outcome.Unsupported u) {
                sb.append(u.name()).append(",unsupported,,,,,,,,").append(quote(u.reason())).append('\n');
            }
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "\"\"").replace('\n', ' ') + "\"";
    }

    /**
     * Writes {@code bench-train.csv}, {@code bench-train.txt} and {@code bench-train.png} into {@code dir}.
     *
     * @param dir the output folder (created)
     * @return the files written
     * @throws IOException when a file cannot be written
     */
    public List<Path> write(Path dir) throws IOException {
        return ReportFiles.write(dir, "bench-train", csv(), table(), chart());
    }

    private CategoryChart chart() {
        List<String> names = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.Measured m) {
                names.add(m.name());
                rates.add(m.samplesPerSecond());
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(600)
                .title("ds4j bench train: samples/s (median of windows)").xAxisTitle("contender")
                .yAxisTitle("samples/s").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(30);
        chart.addSeries("samples/s", names, rates);
        return chart;
    }
}
