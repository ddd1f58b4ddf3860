import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * One memory picture per ZeRO stage from bench-memory.csv (bin/ds4j bench memory): for plain fit() and the stage's
 * setups (no offload, cpu, nvme), the child's peak resident set above the baseline child's, N times the ZeRO formula's
 * in-memory bytes, and N times the ledger's device and host peaks, in MiB, as bench memory's own chart draws them for
 * all setups at once. Run by make-images.sh as a single-file program on the ds4j jar's classpath.
 * usage: java -cp ... MemoryStageCharts.java bench-memory.csv OUT-DIR
 */
public final class MemoryStageCharts {
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        Map<String, Integer> col = new HashMap<>();
        String[] head = lines.get(0).split(",");
        for (int i = 0; i < head.length; i++) {
            col.put(head[i], i);
        }
        List<String[]> rows = new ArrayList<>();
        lines.subList(1, lines.size()).forEach(l -> rows.add(l.split(",", -1)));
        for (int stage = 0; stage <= 3; stage++) {
            String prefix = "zero-" + stage + " ";
            List<String> names = new ArrayList<>();
            List<Double> real = new ArrayList<>();
            List<Double> formula = new ArrayList<>();
            List<Double> ledger = new ArrayList<>();
            for (String[] r : rows) {
                String name = r[col.get("setup")];
                if (!"ok".equals(r[col.get("status")]) || !(name.startsWith(prefix) || name.equals("dl4j fit()"))) {
                    continue;
                }
                boolean fit = name.equals("dl4j fit()");
                int n = fit ? 1 : Integer.parseInt(r[col.get("world_size")]);
                names.add(name);
                real.add(mib(num(r, col, "vmhwm_bytes") - num(r, col, "baseline_vmhwm_bytes")));
                formula.add(mib(n * num(r, col, "formula_in_memory_per_rank_bytes")));
                ledger.add(fit ? 0 : mib(n * (num(r, col, "ledger_peak_device_bytes")
                        + num(r, col, "ledger_peak_host_bytes"))));
            }
            CategoryChart chart = new CategoryChartBuilder().width(640).height(420)
                    .title(String.format(Locale.ROOT, "ZeRO stage %d: memory above the baseline JVM (MiB)", stage))
                    .xAxisTitle("setup").yAxisTitle("MiB").build();
            chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
            chart.addSeries("peak RSS - baseline", names, real);
            chart.addSeries("N x formula in memory", names, formula);
            chart.addSeries("N x ledger device + host peak", names, ledger);
            BitmapEncoder.saveBitmap(chart, Path.of(args[1], "memory-stage" + stage + ".png").toString(),
                    BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static double num(String[] r, Map<String, Integer> col, String name) {
        return Double.parseDouble(r[col.get(name)]);
    }

    private static double mib(double bytes) {
        return bytes / 1048576.0;
    }
}
