package io.ds4j.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/** The three files every bench writes: {@code <stem>.csv}, {@code <stem>.txt} (the printed table) and a PNG chart. */
final class ReportFiles {

    private ReportFiles() {
    }

    /**
     * Writes the three files into {@code dir}, creating it.
     *
     * @param dir   the output folder
     * @param stem  the files' common name, e.g. {@code bench-memory}
     * @param csv   the CSV text
     * @param table the table as printed
     * @param chart the chart to render as PNG
     * @return the files written, in the order csv, txt, png
     * @throws IOException when a file cannot be written
     */
    static List<Path> write(Path dir, String stem, String csv, String table, Chart<?, ?> chart) throws IOException {
        Files.createDirectories(dir);
        Path csvFile = dir.resolve(stem + ".csv");
        Path txtFile = dir.resolve(stem + ".txt");
        Path pngFile = dir.resolve(stem + ".png");
        Files.writeString(csvFile, csv, StandardCharsets.UTF_8);
        Files.writeString(txtFile, table, StandardCharsets.UTF_8);
        Files.write(pngFile, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        return List.of(csvFile, txtFile, pngFile);
    }
}
