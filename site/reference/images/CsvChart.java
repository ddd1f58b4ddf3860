import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/**
 * Plots one csv_monitor file (DeepSpeed's layout: a header line, then step,value rows) as a PNG line chart with XChart,
 * the chart library the ds4j CLI uses. Run by make-images.sh as a single-file program on the ds4j jar's classpath.
 * usage: java -cp ... CsvChart.java IN.csv OUT.png TITLE Y-LABEL [log]
 */
public final class CsvChart {
    public static void main(String[] args) throws Exception {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",");
            x.add(Double.parseDouble(cells[0]));
            y.add(Double.parseDouble(cells[1]));
        }
        XYChart chart = new XYChartBuilder().width(720).height(360).title(args[2]).xAxisTitle("global samples")
                .yAxisTitle(args[3]).build();
        chart.getStyler().setLegendVisible(false).setMarkerSize(0);
        chart.getStyler().setYAxisLogarithmic(args.length > 4 && args[4].equals("log"));
        chart.addSeries(args[3], x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        BitmapEncoder.saveBitmap(chart, args[1], BitmapEncoder.BitmapFormat.PNG);
    }
}
