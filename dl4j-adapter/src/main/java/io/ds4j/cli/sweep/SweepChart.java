package io.ds4j.cli.sweep;

import io.ds4j.sweep.CandidateReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * One scatter chart per varied key: the completed candidates' scores against the key's value (a log axis for a
 * {@code log_uniform} key; booleans and strings at evenly spaced positions labelled with the value). The best
 * candidate is drawn as its own series.
 */
final class SweepChart {
    private static final int WIDTH = 520;
    private static final int HEIGHT = 400;

    private SweepChart() {
    }

    /**
     * @param r    the results
     * @param keys the varied keys, as in the sweep file
     * @return one chart per key
     */
    static List<XYChart> charts(SweepResults r, Map<String, VariedKey> keys) {
        List<XYChart> out = new ArrayList<>();
        for (String key : r.keys()) {
            out.add(chart(r, key, keys.get(key)));
        }
        return out;
    }

    private static XYChart chart(SweepResults r, String key, VariedKey range) {
        Map<String, Double> positions = new LinkedHashMap<>();
        boolean numeric = range == null || !"values".equals(range.kind())
                || range.values().stream().allMatch(v -> v instanceof Number);
        if (!numeric) {
            range.values().forEach(v -> positions.putIfAbsent(String.valueOf(v), (double) positions.size()));
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        List<Double> bestX = new ArrayList<>();
        List<Double> bestY = new ArrayList<>();
        for (CandidateReport c : r.reports()) {
            if (!c.completed()) {
                continue;
            }
            Object v = c.varied().get(key);
            double px = numeric ? ((Number) v).doubleValue() : positions.get(String.valueOf(v));
            (c.index() == r.bestIndex() ? bestX : x).add(px);
            (c.index() == r.bestIndex() ? bestY : y).add(c.score());
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(r.score() + " vs " + key)
                .xAxisTitle(key).yAxisTitle(r.score()).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS); // a legend inside hides points
        chart.getStyler().setXAxisLogarithmic(range != null && range.logScale());
        if (!numeric) {
            List<String> labels = new ArrayList<>(positions.keySet());
            chart.setCustomXAxisTickLabelsFormatter(d -> {
                int i = (int) Math.round(d);
                return Math.abs(d - i) < 1e-9 && i >= 0 && i < labels.size() ? labels.get(i) : "";
            });
        }
        addSeries(chart, "candidates", x, y);
        addSeries(chart, "best", bestX, bestY);
        return chart;
    }

    private static void addSeries(XYChart chart, String name, List<Double> x, List<Double> y) {
        if (!x.isEmpty()) {
            chart.addSeries(name, x, y).setMarker(name.equals("best") ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
        }
    }
}
