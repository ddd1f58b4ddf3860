package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ds4j lr} through {@link Main}: CSV layout, step lists, the optimizer lr, exit codes and the PNG plot.
 * Expected values are worked out from DeepSpeed's formulas in each test.
 */
class LrCommandTest extends CliHarness {
    @TempDir
    Path dir;

    private String config(String optimizer, String scheduler) throws IOException {
        String json = "{\"train_batch_size\": 8"
                + (optimizer == null ? "" : ", \"optimizer\": " + optimizer)
                + (scheduler == null ? "" : ", \"scheduler\": " + scheduler) + "}";
        Path file = dir.resolve("ds_config.json");
        Files.writeString(file, json);
        return file.toString();
    }

    private List<String> lines() {
        return Arrays.asList(out.toString(StandardCharsets.UTF_8).split("\n"));
    }

    private String errText() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static void assertRow(String row, long step, double... expected) {
        String[] cells = row.split(",");
        assertEquals(1 + expected.length, cells.length, row);
        assertEquals(step, Long.parseLong(cells[0]), row);
        for (int i = 0; i < expected.length; i++) {
            double actual = Double.parseDouble(cells[i + 1]);
            double scale = Math.max(Math.abs(expected[i]), Math.abs(actual));
            assertTrue(actual == expected[i] || Math.abs(actual - expected[i]) <= 1e-12 * scale,
                    "row " + row + ": expected " + expected[i]);
        }
    }

    @Test
    void defaultStepsPrintMinusOneTo100WithTheOptimizerLrInherited() throws IOException {
        String cfg = config("{\"type\": \"AdamW\", \"params\": {\"lr\": 0.01}}",
                "{\"type\": \"WarmupLR\", \"params\": {\"warmup_num_steps\": 50}}");
        assertEquals(0, run("lr", cfg), errText());
        List<String> rows = lines();
        assertEquals("step,lr", rows.get(0));
        assertEquals(1 + 102, rows.size());
        assertRow(rows.get(1), -1, 0.0);                                   // warmup_min_lr
        assertRow(rows.get(2), 0, 0.0);                                    // ln 1 = 0
        assertRow(rows.get(3), 1, 0.01 * Math.log(2) / Math.log(50));      // log warmup to the optimizer lr
        assertRow(rows.get(50), 48, 0.01 * Math.log(49) / Math.log(50));
        assertRow(rows.get(52), 50, 0.01);
        assertRow(rows.get(102), 100, 0.01);
        // full precision: exactly Double.toString of the value
        assertEquals("100,0.01", rows.get(102));
    }

    @Test
    void stepListsAndRanges() throws IOException {
        String cfg = config(null, "{\"type\": \"LRRangeTest\", \"params\": {\"lr_range_test_min_lr\": 0.5,"
                + " \"lr_range_test_step_size\": 10, \"lr_range_test_staircase\": true}}");
        assertEquals(0, run("lr", "--steps", "-1,8..10,20000", cfg), errText());
        List<String> rows = lines();
        assertEquals(List.of("step,lr", "-1,0.5", "8,0.5", "9,1.0", "10,1.0", "20000,1000.5"), rows);
        // 20000: 0.5 * (1 + floor(20001 / 10)) = 0.5 * 2001 = 1000.5
    }

    @Test
    void optimizerLrFlagFillsAutoAndOneCyclePrintsMomentum() throws IOException {
        String cosine = config("{\"type\": \"Adam\", \"params\": {\"lr\": \"auto\"}}",
                "{\"type\": \"WarmupCosineLR\", \"params\": {\"total_num_steps\": 100, \"warmup_num_steps\": 10,"
                        + " \"warmup_type\": \"linear\", \"cos_min_ratio\": 0.1}}");
        assertEquals(0, run("lr", "--optimizer-lr", "0.2", "--steps", "-1,5,9..10,99", cosine), errText());
        List<String> rows = lines();
        assertEquals("step,lr", rows.get(0));
        assertRow(rows.get(1), -1, 0.0);                        // lr 0 before the first step
        assertRow(rows.get(2), 5, 0.2 * 0.5);                   // 5/10 of the way
        assertRow(rows.get(3), 9, 0.2 * 0.9);
        assertRow(rows.get(4), 10, 0.2 * (0.1 + 0.9 * (1 + Math.cos(Math.PI / 90)) / 2)); // p = 1/90
        assertRow(rows.get(5), 99, 0.2 * 0.1);                  // p = 90/90: floor

        out.reset();
        String cycle = config("{\"type\": \"Adam\", \"params\": {\"lr\": 0.001}}", "{\"type\": \"OneCycle\","
                + " \"params\": {\"cycle_min_lr\": 0.1, \"cycle_max_lr\": 1.1, \"cycle_first_step_size\": 4}}");
        assertEquals(0, run("lr", "--steps", "-1..1,3,7..8", cycle), errText());
        rows = lines();
        assertEquals("step,lr,momentum", rows.get(0));
        assertRow(rows.get(1), -1, 0.1, 0.8);                   // construction: cycle_min_lr, cycle_min_mom
        assertRow(rows.get(2), 0, 0.1 + 1.0 * 0.25, 0.9 - 0.1 * 0.25);
        assertRow(rows.get(3), 1, 0.1 + 1.0 * 0.5, 0.9 - 0.1 * 0.5);
        assertRow(rows.get(4), 3, 1.1, 0.8);                    // the peak
        assertRow(rows.get(5), 7, 0.1, 0.9);                    // b = 8 = T
        assertRow(rows.get(6), 8, 0.1, 0.9);                    // no decay
    }

    /** Runs {@code ds4j lr --steps -1..20000} and checks every row against {@code expected}. */
    private void sweep(String optimizer, String scheduler, java.util.function.LongFunction<double[]> expected)
            throws IOException {
        out.reset();
        assertEquals(0, run("lr", "--steps", "-1..20000", config(optimizer, scheduler)), errText());
        List<String> rows = lines();
        assertEquals(1 + 20002, rows.size());
        for (int r = 1; r < rows.size(); r++) {
            assertRow(rows.get(r), r - 2, expected.apply(r - 2));
        }
    }

    @Test
    void allFiveSchedulesMatchDeepSpeedsClosedFormsAtEveryStepTo20000() throws IOException {
        String adam = "{\"type\": \"Adam\", \"params\": {\"lr\": 0.01}}";
        // WarmupLR, log, W 100, min 0.001, max inherited 0.01: min + (max - min) * ln(i + 1) / ln(W), then max
        sweep(adam, "{\"type\": \"WarmupLR\", \"params\": {\"warmup_min_lr\": 0.001, \"warmup_num_steps\": 100}}",
                i -> new double[] {i < 0 ? 0.001 : i < 100 ? 0.001 + 0.009 * Math.log(i + 1) / Math.log(100) : 0.01});
        // WarmupDecayLR, linear, W 50, total 10000, max 0.002: max * i / W, then max * max(0, (T - i) / (T - W))
        sweep(adam, "{\"type\": \"WarmupDecayLR\", \"params\": {\"warmup_max_lr\": 0.002, \"warmup_num_steps\": 50,"
                + " \"warmup_type\": \"linear\", \"total_num_steps\": 10000}}",
                i -> new double[] {i < 0 ? 0 : i < 50 ? 0.002 * i / 50
                        : 0.002 * Math.max(0, (10000.0 - i) / (10000 - 50))});
        // WarmupCosineLR, log, W 1000, total 15000, wmin 0.05, cmin 0.001, optimizer lr 0.01
        sweep(adam, "{\"type\": \"WarmupCosineLR\", \"params\": {\"total_num_steps\": 15000,"
                + " \"warmup_min_ratio\": 0.05, \"cos_min_ratio\": 0.001}}",
                i -> new double[] {i < 0 ? 0 : i < 1000 ? 0.01 * (0.05 + 0.95 * Math.log(i + 1) / Math.log(1000))
                        : 0.01 * (0.001 + 0.999 * (1 + Math.cos(Math.PI * Math.min(1, (i - 999) / 14000.0))) / 2)});
        // OneCycle 1e-4..1e-3, up 3000, down 5000, decay every 100 at 0.01, momentum 0.85..0.95 without decay
        sweep(adam, "{\"type\": \"OneCycle\", \"params\": {\"cycle_min_lr\": 1e-4, \"cycle_max_lr\": 1e-3,"
                + " \"cycle_first_step_size\": 3000, \"cycle_second_step_size\": 5000, \"decay_step_size\": 100,"
                + " \"decay_lr_rate\": 0.01, \"cycle_min_mom\": 0.85, \"cycle_max_mom\": 0.95}}", i -> {
                    if (i < 0) {
                        return new double[] {1e-4, 0.85};
                    }
                    long b = i + 1;
                    if (i < 8000) {
                        double s = b <= 3000 ? b / 3000.0 : (8000.0 - b) / 5000;
                        return new double[] {1e-4 + 9e-4 * s, 0.95 - 0.1 * s};
                    }
                    return new double[] {1e-4 / (1 + 0.01 * (i - 7999) / 100.0), 0.95};
                });
        // LRRangeTest continuous: min * (1 + rate * (i + 1) / size)
        sweep(null, "{\"type\": \"LRRangeTest\", \"params\": {\"lr_range_test_min_lr\": 1e-4,"
                + " \"lr_range_test_step_size\": 500, \"lr_range_test_step_rate\": 2.5}}",
                i -> new double[] {1e-4 * (1 + 2.5 * (i + 1) / 500.0)});
    }

    @Test
    void invalidSchedulerParamsExitTwoNamingTheKey() throws IOException {
        String cfg = config(null, "{\"type\": \"WarmupLR\", \"params\": {\"warmup_num_steps\": 2.5}}");
        assertEquals(2, run("lr", "--optimizer-lr", "0.1", cfg));
        assertTrue(errText().startsWith("error: scheduler.params.warmup_num_steps: "), errText());
        err.reset();
        String typo = config(null, "{\"type\": \"WarmupLR\", \"params\": {\"warmup_max_lrr\": 0.1}}");
        assertEquals(2, run("lr", typo));
        assertTrue(errText().startsWith("error: scheduler.params.warmup_max_lrr: "), errText());
    }

    @Test
    void unresolvedAutoAndMissingOptimizerLrExitTwo() throws IOException {
        String auto = config(null, "{\"type\": \"WarmupDecayLR\", \"params\": {\"total_num_steps\": \"auto\"}}");
        assertEquals(2, run("lr", auto));
        assertTrue(errText().startsWith("error: scheduler.params.total_num_steps: "), errText());
        err.reset();
        String noLr = config(null, "{\"type\": \"WarmupLR\", \"params\": {}}");
        assertEquals(2, run("lr", noLr));
        assertTrue(errText().contains("--optimizer-lr"), errText());
        err.reset();
        String noScheduler = config("{\"type\": \"Adam\", \"params\": {\"lr\": 0.001}}", null);
        assertEquals(2, run("lr", noScheduler));
        assertTrue(errText().contains("no scheduler section"), errText());
    }

    @Test
    void badArgumentsExitTwoWithUsage() throws IOException {
        String cfg = config(null, "{\"type\": \"LRRangeTest\", \"params\": {}}");
        for (String[] args : new String[][] {{"lr"}, {"lr", "--steps", "5..2", cfg}, {"lr", "--steps", "-2", cfg},
                {"lr", "--steps", "a", cfg}, {"lr", "--optimizer-lr", "x", cfg}, {"lr", "--bogus", cfg},
                {"lr", cfg, cfg}, {"lr", "--plot"}}) {
            err.reset();
            assertEquals(2, run(args), String.join(" ", args));
            assertTrue(errText().startsWith("error: ") && errText().contains("usage: ds4j lr"), errText());
        }
        err.reset();
        assertEquals(2, run("lr", dir.resolve("missing.json").toString()));
        assertTrue(errText().startsWith("error: "), errText());
    }

    @Test
    void plotWritesAReadablePng() throws IOException {
        String cfg = config("{\"type\": \"Adam\", \"params\": {\"lr\": 0.001}}", "{\"type\": \"OneCycle\","
                + " \"params\": {\"cycle_min_lr\": 0.1, \"cycle_max_lr\": 1.0, \"cycle_first_step_size\": 20}}");
        Path png = dir.resolve("plots/onecycle.png");
        assertEquals(0, run("lr", "--plot", png.toString(), "--steps", "-1..60", cfg), errText());
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "ImageIO could not read " + png);
        assertEquals(1000, image.getWidth());
        assertEquals(560, image.getHeight());
        assertEquals(1 + 62, lines().size());   // the CSV is still printed
    }
}
