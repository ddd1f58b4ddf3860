package io.ds4j.cli.sweep;

import io.ds4j.cli.bench.ReportFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A sweep's report files, next to the best model: {@value #STEM}{@code .csv} (every candidate, ranked),
 * {@value #STEM}{@code .txt} (the printed table) and {@value #STEM}{@code .png} (the score against each varied key,
 * two charts per row).
 */
public final class SweepReport {
    /** The report files' common name. */
    public static final String STEM = "results";

    private SweepReport() {
    }

    /**
     * @param r the results
     * @return the ranked table as printed
     */
    public static String table(SweepResults r) {
        return SweepTable.table(r);
    }

    /**
     * @param r the results
     * @return {@code results.csv}'s text
     */
    public static String csv(SweepResults r) {
        return SweepTable.csv(r);
    }

    /**
     * Writes the three files into the results' folder.
     *
     * @param r     the results
     * @param sweep the sweep (its ranges: log axes, value labels)
     * @param table the printed table
     * @return the files written: csv, txt, png
     * @throws IOException when a file cannot be written
     */
    public static List<Path> write(SweepResults r, SweepFile sweep, String table) throws IOException {
        return ReportFiles.write(r.out(), STEM, csv(r), table, SweepChart.charts(r, sweep.vary()), 2);
    }
}
