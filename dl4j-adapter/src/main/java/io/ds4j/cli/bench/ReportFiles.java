package io.ds4j.cli.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * The three files every report writes: {@code <stem>.csv}, {@code <stem>.txt} (the printed table) and a PNG chart
 * (one chart, or several side by side). Used by the benches and by {@code ds4j sweep}.
 */
public final class ReportFiles {

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
    public static List<Path> write(Path dir, String stem, String csv, String table, Chart<?, ?> chart)
            throws IOException {
        return write(dir, stem, csv, table, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }

    /**
     * As {@link #write(Path, String, String, String, Chart)}, with several charts in one PNG, {@code columns} per
     * row.
     *
     * @param dir     the output folder
     * @param stem    the files' common name
     * @param csv     the CSV text
     * @param table   the table as printed
     * @param charts  the charts, at least one
     * @param columns charts per row, at least 1
     * @return the files written, in the order csv, txt, png
     * @throws IOException when a file cannot be written
     */
    public static List<Path> write(Path dir, String stem, String csv, String table, List<? extends Chart<?, ?>> charts,
                                   int columns) throws IOException {
        return write(dir, stem, csv, table, grid(charts, columns));
    }

    /**
     * The charts drawn row by row, {@code columns} per row, on a white canvas; an incomplete last row is left blank.
     */
    private static byte[] grid(List<? extends Chart<?, ?>> charts, int columns) throws IOException {
        if (charts.isEmpty()) {
            throw new IllegalArgumentException("no chart to draw");
        }
        int cols = Math.max(1, Math.min(columns, charts.size()));
        int rows = (charts.size() + cols - 1) / cols;
        int w = 0;
        int h = 0;
        for (Chart<?, ?> c : charts) {
            w = Math.max(w, c.getWidth());
            h = Math.max(h, c.getHeight());
        }
        BufferedImage canvas = new BufferedImage(cols * w, rows * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, canvas.getWidth(), canvas.getHeight());
            for (int i = 0; i < charts.size(); i++) {
                g.drawImage(BitmapEncoder.getBufferedImage(charts.get(i)), (i % cols) * w, (i / cols) * h, null);
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(canvas, "png", png);
        return png.toByteArray();
    }

    private static List<Path> write(Path dir, String stem, String csv, String table, byte[] png) throws IOException {
        Files.createDirectories(dir);
        Path csvFile = dir.resolve(stem + ".csv");
        Path txtFile = dir.resolve(stem + ".txt");
        Path pngFile = dir.resolve(stem + ".png");
        Files.writeString(csvFile, csv, StandardCharsets.UTF_8);
        Files.writeString(txtFile, table, StandardCharsets.UTF_8);
        Files.write(pngFile, png);
        return List.of(csvFile, txtFile, pngFile);
    }
}
