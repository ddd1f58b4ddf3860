package io.ds4j.cli.sweep;

import io.ds4j.sweep.CandidateReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The sweep's final table (candidates ranked by score, failed ones last with their error) and its
 * {@code results.csv} (the same rows, values in full precision).
 */
final class SweepTable {
    /** The CSV columns after the varied keys. */
    static final String CSV_TAIL = "world_size,train_batch_size,status,score,seconds,error";

    private SweepTable() {
    }

    /**
     * @param r the results
     * @return the table as printed, ending with a line naming the saved best
     */
    static String table(SweepResults r) {
        List<String> header = new ArrayList<>(List.of("rank", "candidate"));
        header.addAll(r.keys());
        header.add("seconds");
        header.add(r.score());
        List<List<String>> rows = new ArrayList<>();
        int rank = 0;
        for (CandidateReport c : r.ranked()) {
            List<String> row = new ArrayList<>(List.of(c.completed() ? String.valueOf(++rank) : "-",
                    String.valueOf(c.index())));
            r.keys().forEach(k -> row.add(format(c.varied().get(k))));
            row.add(String.format(Locale.ROOT, "%.1f", c.seconds()));
            row.add(c.completed() ? String.format(Locale.ROOT, "%.4f", c.score()) : "FAILED: " + c.error());
            rows.add(row);
        }
        StringBuilder sb = new StringBuilder(align(header, rows));
        sb.append(String.format(Locale.ROOT, "%d candidates, %d completed, %d failed%n", r.reports().size(),
                r.reports().size() - r.failed(), r.failed()));
        r.best().ifPresentOrElse(b -> sb.append(String.format(Locale.ROOT,
                "best: candidate %d, %s %.4f: %s, %s%n", b.index(), r.score(), b.score(),
                r.out().resolve(io.ds4j.sweep.BestModelSaver.MODEL), r.out().resolve(io.ds4j.sweep.BestModelSaver
                        .CONFIG))), () -> sb.append("best: none, no candidate completed\n"));
        return sb.toString();
    }

    /**
     * @param r the results
     * @return {@code results.csv}: one row per candidate in rank order
     */
    static String csv(SweepResults r) {
        StringBuilder sb = new StringBuilder("rank,candidate,");
        r.keys().forEach(k -> sb.append(csvField(k)).append(','));
        sb.append(CSV_TAIL).append('\n');
        int rank = 0;
        for (CandidateReport c : r.ranked()) {
            sb.append(c.completed() ? String.valueOf(++rank) : "").append(',').append(c.index()).append(',');
            r.keys().forEach(k -> sb.append(csvField(String.valueOf(c.varied().get(k)))).append(','));
            sb.append(c.worldSize()).append(',').append(c.trainBatchSize() > 0 ? c.trainBatchSize() : "")
                    .append(',').append(c.completed() ? "completed" : "failed").append(',')
                    .append(c.completed() ? Double.toString(c.score()) : "").append(',')
                    .append(String.format(Locale.ROOT, "%.3f", c.seconds())).append(',')
                    .append(csvField(c.error())).append('\n');
        }
        return sb.toString();
    }

    /** @return a value for the table: doubles to 4 significant digits, the rest as is */
    static String format(Object v) {
        if (v instanceof Double d) {
            String s = String.format(Locale.ROOT, "%.4g", d);
            return s.contains("e") || !s.contains(".") ? s : s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return String.valueOf(v);
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n")
                ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static String align(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> row : rows) {
                if (i < row.size() && !row.get(i).startsWith("FAILED")) {
                    w[i] = Math.max(w[i], row.get(i).length());
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w);
        rows.forEach(row -> line(sb, row, w));
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            l.append(String.format(Locale.ROOT, "%-" + w[i] + "s  ", cells.get(i)));
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }
}
